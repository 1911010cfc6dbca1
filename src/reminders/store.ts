/**
 * The reminders index in PostgreSQL: what list_reminders shows, what cancel_reminder finds, what the per-user
 * cap counts. Temporal owns the firing; this table only mirrors it (status, next fire, fired count). The
 * reminder's words are sealed like tokens, bound to the reminder's row (its id and open_id); a text sealed with an
 * old key (TOKEN_ENCRYPTION_OLD_KEYS) or in the earlier format is sealed again when it is read.
 */
import type { Pool } from 'pg';
import type { Lang } from '../i18n/language';
import { sealedFor, type SealedPlace, type SecretBox } from '../storage/secret-box';
import type { ReminderSchedule } from './schedule';

import type { ReminderFacts, ReminderKind } from './schedule';

export type { ReminderKind } from './schedule';
export type ReminderStatus = 'active' | 'done' | 'cancelled';

export interface ReminderRow extends ReminderFacts {
  id: string;
  schedule: ReminderSchedule;
  status: ReminderStatus;
  nextFireAtMs?: number;
  firedCount: number;
  awaitingAuth: boolean;
  /** A meeting-linked reminder: its event and offset (rows from before migration 008 have none). */
  eventId?: string;
  minutesBefore?: number;
  /** When it last went off (the occurrence, or the snooze's end): set once nothing more is scheduled. */
  lastFiredAtMs?: number;
}

export type NewReminder = Omit<ReminderRow, 'status' | 'firedCount' | 'awaitingAuth' | 'lastFiredAtMs'>;

interface Db {
  id: string;
  open_id: string;
  chat_id: string;
  kind: ReminderKind;
  text_sealed: string;
  lang: Lang;
  timezone: string;
  schedule: ReminderSchedule;
  status: ReminderStatus;
  next_fire_at: string | null;
  fired_count: number;
  awaiting_auth: boolean;
  event_id?: string | null;
  minutes_before?: number | null;
  last_fired_at?: string | null;
}

export class CapReached extends Error {
  constructor(readonly max: number) {
    super(`cap of ${max} active reminders reached`);
  }
}

/** Where a reminder's text belongs (secret-box.ts): v1 texts were bound to the open_id alone. */
const textPlace = (id: string, openId: string): SealedPlace => ({ aad: sealedFor('reminders', 'text_sealed', id, openId), legacy: openId });

export class ReminderStore {
  constructor(
    private readonly pool: Pool,
    private readonly box: SecretBox,
  ) {}

  /** Rows as the app sees them; a text sealed with an old key or format is written back sealed anew. */
  private async rows(list: Db[]): Promise<ReminderRow[]> {
    const out: ReminderRow[] = [];
    for (const r of list) {
      const { value, stale } = this.box.openChecked(r.text_sealed, textPlace(r.id, r.open_id));
      if (stale) {
        // Only if nobody changed it meanwhile; a lost race just leaves it for the next read.
        await this.pool.query('update reminders set text_sealed = $3 where id = $1 and text_sealed = $2', [
          r.id,
          r.text_sealed,
          this.box.seal(value, textPlace(r.id, r.open_id).aad),
        ]);
      }
      out.push(this.view(r, value));
    }
    return out;
  }

  private async row(r: Db): Promise<ReminderRow> {
    return (await this.rows([r]))[0]!;
  }

  private view(r: Db, text: string): ReminderRow {
    return {
      id: r.id,
      openId: r.open_id,
      chatId: r.chat_id,
      kind: r.kind,
      text,
      lang: r.lang,
      timezone: r.timezone,
      schedule: r.schedule,
      status: r.status,
      ...(r.next_fire_at !== null ? { nextFireAtMs: Number(r.next_fire_at) } : {}),
      firedCount: r.fired_count,
      awaitingAuth: r.awaiting_auth,
      ...(r.event_id ? { eventId: r.event_id } : {}),
      ...(r.minutes_before !== null && r.minutes_before !== undefined ? { minutesBefore: r.minutes_before } : {}),
      ...(r.last_fired_at !== null && r.last_fired_at !== undefined ? { lastFiredAtMs: Number(r.last_fired_at) } : {}),
    };
  }

  /**
   * Inserts once (a retried tool call finds its own row) under the user's advisory lock, so two requests at
   * once cannot both take the last place under the cap. Returns the row (new or the one already there).
   */
  async insert(r: NewReminder, maxActive: number): Promise<{ row: ReminderRow; created: boolean }> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`reminders:${r.openId}`]);
      const existing = await client.query<Db>('select * from reminders where id = $1', [r.id]);
      if (existing.rows[0]) {
        await client.query('commit');
        return { row: await this.row(existing.rows[0]), created: false };
      }
      const { rows } = await client.query<{ n: string }>("select count(*) as n from reminders where open_id = $1 and status = 'active'", [r.openId]);
      if (Number(rows[0]!.n) >= maxActive) {
        await client.query('commit');
        throw new CapReached(maxActive);
      }
      const inserted = await client.query<Db>(
        `insert into reminders (id, open_id, chat_id, kind, text_sealed, lang, timezone, schedule, next_fire_at, event_id, minutes_before)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning *`,
        [
          r.id,
          r.openId,
          r.chatId,
          r.kind,
          this.box.seal(r.text, textPlace(r.id, r.openId).aad),
          r.lang,
          r.timezone,
          JSON.stringify(r.schedule),
          r.nextFireAtMs ?? null,
          r.eventId ?? null,
          r.minutesBefore ?? null,
        ],
      );
      await client.query('commit');
      return { row: this.view(inserted.rows[0]!, r.text), created: true };
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async get(id: string): Promise<ReminderRow | undefined> {
    const { rows } = await this.pool.query<Db>('select * from reminders where id = $1', [id]);
    return rows[0] ? await this.row(rows[0]) : undefined;
  }

  /** Active ones of a user, soonest first. */
  async listActive(openId: string, kind?: ReminderKind): Promise<ReminderRow[]> {
    const { rows } = await this.pool.query<Db>(
      `select * from reminders where open_id = $1 and status = 'active' ${kind ? 'and kind = $2' : ''} order by next_fire_at nulls last, created_at`,
      kind ? [openId, kind] : [openId],
    );
    return this.rows(rows);
  }

  /** Active reminders of every user, soonest first (the sandbox's side panel). */
  async listAllActive(limit = 200): Promise<ReminderRow[]> {
    const { rows } = await this.pool.query<Db>(`select * from reminders where status = 'active' order by next_fire_at nulls last limit $1`, [limit]);
    return this.rows(rows);
  }

  /** The user's active reminders that follow this meeting (set with its event id). */
  async linkedTo(openId: string, eventId: string): Promise<ReminderRow[]> {
    const { rows } = await this.pool.query<Db>("select * from reminders where open_id = $1 and event_id = $2 and status = 'active' order by created_at", [
      openId,
      eventId,
    ]);
    return this.rows(rows);
  }

  /** Cancels the user's own active reminder; false when there is none with that id (or it is someone else's). */
  async cancel(openId: string, id: string): Promise<ReminderRow | undefined> {
    const { rows } = await this.pool.query<Db>(
      "update reminders set status = 'cancelled', next_fire_at = null, updated_at = now() where id = $1 and open_id = $2 and status = 'active' returning *",
      [id, openId],
    );
    return rows[0] ? await this.row(rows[0]) : undefined;
  }

  /**
   * The workflow's view after each step: what is next, how many fired, done or not. Never revives a cancelled one.
   * A fire clears the next time: the time it had is kept as when it last went off (list_reminders says so).
   */
  async update(id: string, p: { nextFireAtMs?: number | null; firedCount?: number; status?: 'done'; awaitingAuth?: boolean }): Promise<void> {
    await this.pool.query(
      `update reminders set
         last_fired_at = case when $2::boolean and $3::bigint is null and $4::integer > fired_count and next_fire_at is not null then next_fire_at else last_fired_at end,
         next_fire_at = case when $2::boolean then $3::bigint else next_fire_at end,
         fired_count = coalesce($4::integer, fired_count),
         status = case when $5::text is not null and status = 'active' then $5::text else status end,
         awaiting_auth = coalesce($6::boolean, awaiting_auth),
         updated_at = now()
       where id = $1`,
      [id, p.nextFireAtMs !== undefined, p.nextFireAtMs ?? null, p.firedCount ?? null, p.status ?? null, p.awaitingAuth ?? null],
    );
  }

  /** A repeating reminder moved to the user's new zone (set_timezone): its zone and its next time. */
  async setReminderZone(id: string, timezone: string, nextFireAtMs: number | undefined): Promise<void> {
    await this.pool.query('update reminders set timezone = $2, next_fire_at = coalesce($3::bigint, next_fire_at), updated_at = now() where id = $1', [
      id,
      timezone,
      nextFireAtMs ?? null,
    ]);
  }

  /** Reminders of a user that wait for the user's sign-in (the OAuth callback signals them). */
  async awaitingAuth(openId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>("select id from reminders where open_id = $1 and awaiting_auth and status = 'active'", [openId]);
    return rows.map((r) => r.id);
  }

  /** The user's own time zone (set_timezone), or undefined: the deployment's DEFAULT_TIMEZONE applies. */
  async timezoneOf(openId: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ timezone: string }>('select timezone from user_timezones where open_id = $1', [openId]);
    return rows[0]?.timezone;
  }

  async setTimezone(openId: string, timezone: string): Promise<void> {
    await this.pool.query(
      'insert into user_timezones (open_id, timezone) values ($1, $2) on conflict (open_id) do update set timezone = excluded.timezone, updated_at = now()',
      [openId, timezone],
    );
  }
}
