/**
 * Task v2. Times are MILLISECONDS as strings, stored exactly as sent. `client_token` makes creation
 * idempotent. Listing needs a user token (Lark has no "all tasks" for the app). Unknown task ids
 * answer 230001, Lark's code for an invalid task id on the task API.
 */
import { LarkError, bodyObject, invalidParam, isObject, ok, optString, reqString, type Caller, type Ctx, type Json, type Router } from './http';
import type { Auth, ScopeNeed } from './auth';
import { idOf, randomId, type Clock, type EmulatorState, type Task, type TaskMember } from './state';

const READ: ScopeNeed = { family: 'task', write: false, subject: 'task:task:read' };
const WRITE: ScopeNeed = { family: 'task', write: true, subject: 'task:task:write' };
const PATCHABLE = new Set(['summary', 'description', 'due', 'start', 'completed_at', 'extra', 'repeat_rule', 'mode', 'is_milestone']);
const MS = /^\d{1,13}$/;

function checkTime(v: unknown, field: string): void {
  if (v === undefined) return;
  if (!isObject(v)) throw invalidParam(`${field} must be an object`);
  if (typeof v.timestamp !== 'string' || !MS.test(v.timestamp)) throw invalidParam(`${field}.timestamp must be a millisecond timestamp string`);
}

export class Tasks {
  private seq = 1;

  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
    private readonly clock: Clock,
    /** Most tasks one list page holds, whatever page_size asked for. */
    private readonly pageCap = 20,
  ) {}

  register(router: Router): void {
    const base = '/open-apis/task/v2/tasks';
    router.add('POST', base, (ctx) => this.create(ctx));
    router.add('GET', base, (ctx) => this.list(ctx));
    router.add('GET', `${base}/:task_guid`, (ctx) => this.get(ctx));
    router.add('PATCH', `${base}/:task_guid`, (ctx) => this.patch(ctx));
    router.add('POST', `${base}/:task_guid/complete`, (ctx) => this.complete(ctx));
    router.add('DELETE', `${base}/:task_guid`, (ctx) => this.remove(ctx));
  }

  private members(raw: unknown, idType: string): TaskMember[] {
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw invalidParam('members must be an array');
    return raw.map((m, i) => {
      if (!isObject(m)) throw invalidParam(`members[${i}] must be an object`);
      const id = reqString(m, 'id');
      const type = optString(m, 'type') ?? 'user';
      const role = reqString(m, 'role');
      if (role !== 'assignee' && role !== 'follower') throw invalidParam(`members[${i}].role must be assignee or follower`);
      if (type === 'user') {
        const user = this.state.findUser(id, idType);
        if (!user) throw new LarkError(1470400, `members[${i}].id "${id}" is not a ${idType} in this tenant`);
        // Kept as open_id internally so listing by user works whatever id type the client used.
        return { id: user.open_id, type, role };
      }
      return { id, type, role };
    });
  }

  private task(ctx: Ctx, caller: Caller): Task {
    const task = this.state.tasks.get(ctx.params.task_guid ?? '');
    if (!task) throw new LarkError(230001, 'invalid task_guid: task not found');
    if (caller.kind === 'user' && task.creator.id !== caller.openId && !task.members.some((m) => m.id === caller.openId)) {
      throw new LarkError(1470403, 'no permission to access the task');
    }
    return task;
  }

  private create(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const body = bodyObject(ctx);
    const idType = ctx.query.get('user_id_type') ?? 'open_id';
    const clientToken = optString(body, 'client_token');
    if (clientToken) {
      const prior = this.state.taskTokens.get(clientToken);
      const t = prior ? this.state.tasks.get(prior) : undefined;
      if (t) {
        ctx.note.duplicateClientToken = true;
        return ok({ task: view(t, this.state, idType) });
      }
    }
    const summary = reqString(body, 'summary');
    checkTime(body.due, 'due');
    checkTime(body.start, 'start');
    const now = String(this.clock.now());
    const extra: Json = {};
    for (const [k, v] of Object.entries(body)) {
      if (!['summary', 'description', 'due', 'start', 'members', 'client_token'].includes(k)) extra[k] = v;
    }
    const task: Task = {
      guid: cryptoGuid(),
      task_id: `t${100000 + this.seq++}`,
      summary,
      description: optString(body, 'description') ?? '',
      due: body.due as Json | undefined,
      start: body.start as Json | undefined,
      completed_at: '0',
      creator: caller.kind === 'user' ? { id: caller.openId as string, type: 'user' } : { id: this.state.appId, type: 'app' },
      members: this.members(body.members, idType),
      created_at: now,
      updated_at: now,
      client_token: clientToken,
      extra,
    };
    this.state.tasks.set(task.guid, task);
    if (clientToken) this.state.taskTokens.set(clientToken, task.guid);
    return ok({ task: view(task, this.state, idType) });
  }

  private list(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'user', READ);
    const idType = ctx.query.get('user_id_type') ?? 'open_id';
    const pageSize = Number(ctx.query.get('page_size') ?? '50');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw invalidParam('page_size must be 1-100');
    const offset = decodePageToken(ctx.query.get('page_token'));
    const completed = ctx.query.get('completed');
    const mine = this.state
      .taskList()
      .filter((t) => t.members.some((m) => m.id === caller.openId))
      .filter((t) => (completed === 'true' ? t.completed_at !== '0' : completed === 'false' ? t.completed_at === '0' : true));
    // A page may hold fewer than page_size, as in Lark: at most pageCap here, so clients follow has_more.
    const size = Math.min(pageSize, this.pageCap);
    const page = mine.slice(offset, offset + size);
    const hasMore = offset + size < mine.length;
    return ok({
      items: page.map((t) => view(t, this.state, idType)),
      page_token: hasMore ? Buffer.from(String(offset + size)).toString('base64url') : '',
      has_more: hasMore,
    });
  }

  /** Task v2 delete: afterwards the task cannot be read; a second delete is 404 / 1470404, as Lark documents. */
  private remove(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    if (!this.state.tasks.has(ctx.params.task_guid ?? '')) throw new LarkError(1470404, 'the task does not exist or was already deleted', 404);
    const task = this.task(ctx, caller);
    this.state.tasks.delete(task.guid);
    return ok({});
  }

  private get(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', READ);
    return ok({ task: view(this.task(ctx, caller), this.state, ctx.query.get('user_id_type') ?? 'open_id') });
  }

  private patch(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const task = this.task(ctx, caller);
    const body = bodyObject(ctx);
    const fields = body.update_fields;
    if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string')) {
      throw invalidParam('update_fields must be a non-empty array of field names');
    }
    const patch = isObject(body.task) ? body.task : {};
    for (const f of fields as string[]) {
      if (!PATCHABLE.has(f)) throw invalidParam(`update_fields: "${f}" cannot be updated here`);
    }
    // Validate everything before touching the task, so a bad request changes nothing.
    if (fields.includes('due')) checkTime(patch.due, 'task.due');
    if (fields.includes('start')) checkTime(patch.start, 'task.start');
    if (fields.includes('completed_at')) {
      const c = patch.completed_at;
      if (c !== undefined && (typeof c !== 'string' || !MS.test(c)))
        throw invalidParam('task.completed_at must be a millisecond timestamp string ("0" reopens)');
    }
    for (const f of fields as string[]) {
      const v = patch[f];
      // A field named in update_fields but absent from task is cleared (Lark's documented behaviour).
      switch (f) {
        case 'summary':
          task.summary = typeof v === 'string' ? v : '';
          break;
        case 'description':
          task.description = typeof v === 'string' ? v : '';
          break;
        case 'due':
          task.due = v as Json | undefined;
          break;
        case 'start':
          task.start = v as Json | undefined;
          break;
        case 'completed_at':
          task.completed_at = typeof v === 'string' ? v : '0';
          break;
        default:
          if (v === undefined) delete task.extra[f];
          else task.extra[f] = v;
      }
    }
    task.updated_at = String(this.clock.now());
    return ok({ task: view(task, this.state, ctx.query.get('user_id_type') ?? 'open_id') });
  }

  private complete(ctx: Ctx) {
    const caller = this.auth.authenticate(ctx, 'any', WRITE);
    const task = this.task(ctx, caller);
    task.completed_at = String(this.clock.now());
    task.updated_at = task.completed_at;
    return ok({ task: view(task, this.state, 'open_id') });
  }
}

function decodePageToken(token: string | null): number {
  if (!token) return 0;
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw invalidParam('page_token is invalid');
  return n;
}

function cryptoGuid(): string {
  const hex = randomId('', 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function view(t: Task, state: EmulatorState, idType: string): Json {
  const memberId = (m: { id: string; type: string }) => {
    if (m.type !== 'user') return m.id;
    const u = state.findUser(m.id);
    return u ? idOf(u, idType) : m.id;
  };
  return {
    ...t.extra,
    guid: t.guid,
    task_id: t.task_id,
    summary: t.summary,
    description: t.description,
    due: t.due,
    start: t.start,
    completed_at: t.completed_at,
    status: t.completed_at !== '0' ? 'done' : 'todo',
    creator: { id: memberId(t.creator), type: t.creator.type, role: 'creator' },
    members: t.members.map((m) => ({ ...m, id: memberId(m) })),
    created_at: t.created_at,
    updated_at: t.updated_at,
    url: `https://applink.larksuite.com/client/todo/detail?guid=${t.guid}`,
  };
}
