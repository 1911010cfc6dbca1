import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { MIGRATIONS_DIR, runMigrations } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { freshDatabase } from './support/env';

test('migrations on the real PostgreSQL: applied in order, recorded, safe to run twice', async () => {
  const db = await freshDatabase(); // already migrated once
  try {
    const again = await runMigrations(db.pool);
    assert.deepEqual(again.applied, []);
    assert.ok(again.skipped.includes('001_lark_user_tokens.sql'));
    const recorded = await db.pool.query<{ name: string }>('select name from schema_migrations order by name');
    assert.deepEqual(
      recorded.rows.map((r) => r.name),
      again.skipped,
    );
    const cols = await db.pool.query<{ column_name: string }>("select column_name from information_schema.columns where table_name = 'lark_user_tokens'");
    for (const c of ['open_id', 'access_token', 'refresh_token', 'expires_at', 'primary_calendar_id', 'scopes']) {
      assert.ok(
        cols.rows.some((r) => r.column_name === c),
        `column ${c}`,
      );
    }
  } finally {
    await db.drop();
  }
});

test('concurrent migrators apply each file once; an edited migration is refused', async () => {
  const db = await freshDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'migr-'));
  try {
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await writeFile(path.join(dir, '900_probe.sql'), 'create table probe (n int); insert into probe values (1);');
    const results = await Promise.all([runMigrations(db.pool, dir), runMigrations(db.pool, dir), runMigrations(db.pool, dir)]);
    assert.equal(results.filter((r) => r.applied.includes('900_probe.sql')).length, 1);
    assert.equal((await db.pool.query('select count(*)::int as n from probe')).rows[0].n, 1);
    await writeFile(path.join(dir, '900_probe.sql'), 'create table probe (n int); -- edited');
    await assert.rejects(runMigrations(db.pool, dir), /900_probe.sql was changed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
});

test('embedded PostgreSQL (PGlite over the wire protocol): same pg code, data persists across restarts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pglite-'));
  try {
    let pg = await startEmbeddedPostgres(path.join(dir, 'pg'));
    let pool = createPool(pg.url, 1);
    const first = await runMigrations(pool);
    assert.ok(first.applied.includes('001_lark_user_tokens.sql'));
    await pool.query("insert into lark_user_tokens (open_id, access_token, refresh_token, expires_at) values ('ou_embedded', 'x', 'y', 1)");
    await pool.end();
    await pg.stop();

    pg = await startEmbeddedPostgres(path.join(dir, 'pg'));
    pool = createPool(pg.url, 1);
    const second = await runMigrations(pool);
    assert.deepEqual(second.applied, []);
    const rows = await pool.query('select open_id from lark_user_tokens');
    assert.deepEqual(rows.rows, [{ open_id: 'ou_embedded' }]);
    await pool.end();
    await pg.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
