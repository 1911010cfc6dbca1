/**
 * Base (Bitable) batch_create. Tables spring into existence on first write (the emulator has no
 * schema). A write takes `writeLatencyMs`; a second write to the same table meanwhile gets 1254291,
 * the write-conflict Lark gives for concurrent writes to one table (HTTP 200, like Base's throttling).
 */
import { LarkError, bodyObject, invalidParam, isObject, ok, type Ctx, type Json, type Router } from './http';
import type { Auth } from './auth';
import { randomId, type BaseRecord, type EmulatorState } from './state';

const BATCH_LIMIT = 500;

export class Bitable {
  private readonly busy = new Set<string>();

  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
    private readonly writeLatencyMs: number,
  ) {}

  register(router: Router): void {
    const base = '/open-apis/bitable/v1/apps/:app_token/tables/:table_id/records';
    router.add('POST', `${base}/batch_create`, (ctx) => this.batchCreate(ctx));
    router.add('POST', base, (ctx) => this.createOne(ctx));
  }

  private async write(ctx: Ctx, records: Json[]): Promise<BaseRecord[]> {
    const appToken = ctx.params.app_token as string;
    const tableId = ctx.params.table_id as string;
    const clientToken = ctx.query.get('client_token') ?? undefined;
    const tokenKey = clientToken ? `${appToken}\n${tableId}\n${clientToken}` : undefined;
    if (tokenKey) {
      const ids = this.state.baseTokens.get(tokenKey);
      if (ids) {
        ctx.note.duplicateClientToken = true;
        return this.state.baseRecords.filter((r) => ids.includes(r.record_id));
      }
    }
    const table = `${appToken}\n${tableId}`;
    if (this.busy.has(table)) throw new LarkError(1254291, 'Write conflict', 200);
    this.busy.add(table);
    try {
      if (this.writeLatencyMs > 0) await new Promise((r) => setTimeout(r, this.writeLatencyMs));
      const created = records.map((r) => ({
        record_id: randomId('rec', 7),
        app_token: appToken,
        table_id: tableId,
        fields: r.fields as Json,
        client_token: clientToken,
      }));
      this.state.baseRecords.push(...created);
      if (tokenKey)
        this.state.baseTokens.set(
          tokenKey,
          created.map((r) => r.record_id),
        );
      return created;
    } finally {
      this.busy.delete(table);
    }
  }

  private checkRecord(r: unknown, i: number): Json {
    if (!isObject(r) || !isObject(r.fields)) throw invalidParam(`records[${i}].fields must be an object`);
    return r;
  }

  private async batchCreate(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any');
    const body = bodyObject(ctx);
    if (!Array.isArray(body.records) || body.records.length === 0) throw invalidParam('records is required');
    if (body.records.length > BATCH_LIMIT) throw new LarkError(1254104, 'RecordAddOnceExceedLimit: at most 500 records per batch');
    const records = body.records.map((r, i) => this.checkRecord(r, i));
    const created = await this.write(ctx, records);
    return ok({ records: created.map((r) => ({ record_id: r.record_id, fields: r.fields })) });
  }

  private async createOne(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any');
    const record = this.checkRecord(bodyObject(ctx), 0);
    const [created] = await this.write(ctx, [record]);
    return ok({ record: { record_id: created?.record_id, fields: created?.fields } });
  }
}
