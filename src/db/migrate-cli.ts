/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
import { loadConfig, requireSetting } from '../config';
import { createLogger } from '../logger';
import { runMigrations } from './migrate';
import { createPool } from './pool';

async function main() {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'migrate');
  const pool = createPool(requireSetting(config.databaseUrl, 'DATABASE_URL'), 1);
  try {
    const result = await runMigrations(pool);
    log.info(result, 'migrations done');
  } finally {
    await pool.end();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
