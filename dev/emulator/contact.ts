/**
 * Contact v3 (get user, batch_get_id) and user search. Search ignores case and Vietnamese
 * diacritics, so "nguyen thi lan" finds "Nguyễn Thị Lan".
 */
import { LarkError, bodyObject, invalidParam, ok, type Ctx, type Json, type Router } from './http';
import type { Auth, ScopeNeed } from './auth';
import { idOf, type EmulatorState, type EmulatorUser } from './state';

const SEARCH: ScopeNeed = { family: 'contact', write: false, subject: 'contact:user:search' };

/** Lowercase, strip combining marks; đ has no decomposition so it is mapped by hand. */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/gi, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
}

export class Contact {
  constructor(
    private readonly state: EmulatorState,
    private readonly auth: Auth,
  ) {}

  register(router: Router): void {
    router.add('GET', '/open-apis/contact/v3/users/:user_id', (ctx) => this.getUser(ctx));
    router.add('POST', '/open-apis/contact/v3/users/batch_get_id', (ctx) => this.batchGetId(ctx));
    router.add('GET', '/open-apis/search/v1/user', (ctx) => this.search(ctx));
  }

  private userView(u: EmulatorUser): Json {
    const avatar = { avatar_72: u.avatar_url, avatar_240: u.avatar_url, avatar_640: u.avatar_url, avatar_origin: u.avatar_url };
    return {
      open_id: u.open_id,
      union_id: u.union_id,
      user_id: u.user_id,
      name: u.name,
      en_name: u.en_name,
      email: u.email,
      mobile: u.mobile,
      avatar,
      status: { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false },
      department_ids: ['0'],
    };
  }

  private getUser(ctx: Ctx) {
    this.auth.authenticate(ctx, 'any');
    const idType = ctx.query.get('user_id_type') ?? 'open_id';
    if (!['open_id', 'union_id', 'user_id'].includes(idType)) throw invalidParam('user_id_type must be open_id, union_id or user_id');
    const user = this.state.findUser(ctx.params.user_id ?? '', idType);
    // UNCONFIRMED: the exact code Lark gives for an unknown user id.
    if (!user) throw new LarkError(41050, 'no user authority error: user not found');
    return ok({ user: this.userView(user) });
  }

  private batchGetId(ctx: Ctx) {
    this.auth.authenticate(ctx, 'tenant');
    const idType = ctx.query.get('user_id_type') ?? 'open_id';
    const body = bodyObject(ctx);
    const emails = body.emails ?? [];
    const mobiles = body.mobiles ?? [];
    if (!Array.isArray(emails) || !Array.isArray(mobiles)) throw invalidParam('emails and mobiles must be arrays');
    if (emails.length > 50 || mobiles.length > 50) throw invalidParam('at most 50 emails and 50 mobiles');
    const list: Json[] = [];
    for (const e of emails) {
      if (typeof e !== 'string') throw invalidParam('emails[] must be strings');
      const u = this.state.users.find((x) => x.email.toLowerCase() === e.toLowerCase());
      // Lark lists unknown emails without a user_id rather than failing the batch.
      list.push(u ? { user_id: idOf(u, idType), email: e } : { email: e });
    }
    for (const m of mobiles) {
      if (typeof m !== 'string') throw invalidParam('mobiles[] must be strings');
      const u = this.state.users.find((x) => x.mobile !== '' && (x.mobile === m || x.mobile.endsWith(m.replace(/^\+/, ''))));
      list.push(u ? { user_id: idOf(u, idType), mobile: m } : { mobile: m });
    }
    return ok({ user_list: list });
  }

  private search(ctx: Ctx) {
    this.auth.authenticate(ctx, 'user', SEARCH);
    const query = ctx.query.get('query');
    if (!query) throw invalidParam('query is required');
    const q = fold(query);
    const pageSize = Math.min(Math.max(Number(ctx.query.get('page_size') ?? '20') || 20, 1), 200);
    const hits = this.state.users.filter((u) => [u.name, u.en_name, u.email].some((s) => fold(s).includes(q)));
    return ok({
      has_more: hits.length > pageSize,
      page_token: '',
      users: hits.slice(0, pageSize).map((u) => ({
        open_id: u.open_id,
        user_id: u.user_id,
        name: u.name,
        en_name: u.en_name,
        email: u.email,
        avatar: { avatar_72: u.avatar_url, avatar_240: u.avatar_url, avatar_640: u.avatar_url, avatar_origin: u.avatar_url },
        department_ids: ['0'],
      })),
    });
  }
}
