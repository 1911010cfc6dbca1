/**
 * CardKit v1: card entities and their streaming text, with Lark's validation: card JSON 2.0 only, update_multi
 * must stay true while streaming (300302), 30 KB per card (200860), every operation's `sequence` strictly
 * larger than the card's last (300317), text updates only while streaming is on (300309) and within 10 minutes
 * of it being turned on (200850, and streaming is off from then), a repeated `uuid` is a no-op, and at most
 * 10 updates a second per card (HTTP 429, 99991400). Tenant token only, and only with `cardkit:card:write`
 * (switch it off with `permitted = false`: 99991672 naming the scope). Every accepted update is counted per card
 * (`updates`), so tests can check the rate a client keeps.
 */
import { LarkError, bodyObject, invalidParam, ok, optString, reqString, type Ctx, type Json, type Router } from './http';
import type { Auth } from './auth';
import type { Clock } from './state';

export const CARD_UPDATES_PER_SECOND = 10;
export const STREAMING_LIMIT_MS = 10 * 60 * 1000;
const CARD_LIMIT = 30 * 1024;
const SEQUENCE_MAX = 2147483647;

export interface CardEntity {
  card_id: string;
  /** The card JSON as it is now (elements' content updated in place by streaming). */
  card: Json;
  streaming: boolean;
  /** When streaming was last turned on (creation or settings). */
  streamingSince?: number;
  lastSequence: number;
  createdAt: number;
  /** Accepted operations after creation: when, what and (text updates) the element's new content. */
  updates: Array<{ at: number; kind: 'content' | 'settings' | 'replace'; elementId?: string; sequence: number }>;
  /** Every operation refused, by code (tests check none were needed). */
  refused: Array<{ at: number; code: number; kind: string }>;
  uuids: Set<string>;
}

export class CardKit {
  /**
   * Card entities, oldest first; past `maxCards` the oldest is forgotten (its message then shows "[card entity not
   * found]"), so a sandbox left streaming answers all afternoon stays small, like the emulator's other logs.
   */
  readonly cards = new Map<string, CardEntity>();
  maxCards = 1000;
  /** Whether the app has cardkit:card:write (an admin enabled it and released a version). */
  permitted = true;
  private created = 0;

  constructor(
    private readonly auth: Auth,
    private readonly clock: Clock,
  ) {}

  register(router: Router): void {
    router.add('POST', '/open-apis/cardkit/v1/cards', (ctx) => this.create(ctx));
    router.add('PUT', '/open-apis/cardkit/v1/cards/:card_id', (ctx) => this.replace(ctx));
    router.add('PATCH', '/open-apis/cardkit/v1/cards/:card_id/settings', (ctx) => this.settings(ctx));
    router.add('PUT', '/open-apis/cardkit/v1/cards/:card_id/elements/:element_id/content', (ctx) => this.content(ctx));
  }

  /** The text an element shows now (undefined: no such card or element). */
  elementText(cardId: string, elementId: string): string | undefined {
    const c = this.cards.get(cardId);
    const el = c && elementsOf(c.card).find((e) => e.element_id === elementId);
    return el ? String(el.content ?? '') : undefined;
  }

  private authenticate(ctx: Ctx): void {
    this.auth.authenticate(ctx, 'tenant');
    if (!this.permitted) {
      throw new LarkError(
        99991672,
        'Access denied. One of the following scopes is required: [cardkit:card:write]. The app has not been granted it: ask an admin to enable it and release a new version.',
        400,
        { error: { permission_violations: [{ type: 'action_privilege_required', subject: 'cardkit:card:write', description: 'the app lacks this scope' }] } },
      );
    }
  }

  private parseCard(data: string): Json {
    let card: unknown;
    try {
      card = JSON.parse(data);
    } catch {
      throw new LarkError(200220, 'Failed to generate card content: the card JSON does not parse.');
    }
    if (typeof card !== 'object' || card === null || Array.isArray(card)) throw new LarkError(300307, 'The card DSL is empty.');
    const c = card as Json;
    if (c.schema !== '2.0') throw new LarkError(200220, 'Failed to generate card content: CardKit card entities need card JSON 2.0 (schema "2.0").');
    if (Buffer.byteLength(data, 'utf8') > CARD_LIMIT) throw new LarkError(200860, 'Card content exceeds limit.');
    const config = (c.config ?? {}) as Json;
    if (config.streaming_mode === true && config.update_multi === false) throw new LarkError(300302, 'update_multi property is false');
    return c;
  }

  private create(ctx: Ctx) {
    this.authenticate(ctx);
    const body = bodyObject(ctx);
    if (reqString(body, 'type') !== 'card_json') throw invalidParam('type must be card_json');
    const card = this.parseCard(reqString(body, 'data'));
    const now = this.clock.now();
    const streaming = ((card.config ?? {}) as Json).streaming_mode === true;
    // Lark's card ids are 19 digits.
    const id = `7${String(now).slice(-12)}${String(++this.created % 1_000_000).padStart(6, '0')}`;
    const entity: CardEntity = {
      card_id: id,
      card,
      streaming,
      ...(streaming ? { streamingSince: now } : {}),
      lastSequence: 0,
      createdAt: now,
      updates: [],
      refused: [],
      uuids: new Set(),
    };
    this.cards.set(entity.card_id, entity);
    for (const oldest of this.cards.keys()) {
      if (this.cards.size <= this.maxCards) break;
      this.cards.delete(oldest);
    }
    ctx.note.cardId = entity.card_id;
    return ok({ card_id: entity.card_id });
  }

  /** Checks shared by every update: the card, its sequence, its uuid (a repeat answers success and does nothing), its rate. */
  private begin(ctx: Ctx, kind: string): { card: CardEntity; body: Json; sequence: number; repeat: boolean } {
    this.authenticate(ctx);
    const body = bodyObject(ctx);
    const card = this.cards.get(ctx.params.card_id ?? '');
    ctx.note.cardId = ctx.params.card_id;
    const refuse = (e: LarkError): never => {
      if (card) card.refused.push({ at: this.clock.now(), code: e.code, kind });
      throw e;
    };
    if (!card) throw new LarkError(200740, 'The card entity does not exist');
    if (this.clock.now() - card.createdAt > 14 * 24 * 3600 * 1000) refuse(new LarkError(200750, 'The card entity has expired'));
    const uuid = optString(body, 'uuid');
    if (uuid !== undefined && (uuid.length < 1 || uuid.length > 64)) refuse(invalidParam('uuid must be 1-64 characters'));
    const sequence = body.sequence;
    if (typeof sequence !== 'number' || !Number.isInteger(sequence) || sequence < 1 || sequence > SEQUENCE_MAX)
      refuse(invalidParam('sequence must be an integer in 1..2147483647'));
    if (uuid !== undefined && card.uuids.has(uuid)) {
      ctx.note.duplicateUuid = true;
      return { card, body, sequence: sequence as number, repeat: true };
    }
    if ((sequence as number) <= card.lastSequence)
      refuse(new LarkError(300317, "sequence number compare failed: the sequence must be larger than the last operation's on this card"));
    const now = this.clock.now();
    const recent = card.updates.filter((u) => now - u.at < 1000).length;
    if (recent >= CARD_UPDATES_PER_SECOND) {
      refuse(
        new LarkError(
          99991400,
          `request trigger frequency limit: at most ${CARD_UPDATES_PER_SECOND} updates per second per card`,
          429,
          {},
          { 'x-ogw-ratelimit-limit': String(CARD_UPDATES_PER_SECOND), 'x-ogw-ratelimit-reset': '1' },
        ),
      );
    }
    return { card, body, sequence: sequence as number, repeat: false };
  }

  /** An accepted operation: its sequence is the card's last, its uuid is spent (a refused one's is not). */
  private commit(card: CardEntity, kind: 'content' | 'settings' | 'replace', sequence: number, elementId?: string, uuid?: string): void {
    if (uuid !== undefined) card.uuids.add(uuid);
    card.lastSequence = sequence;
    card.updates.push({ at: this.clock.now(), kind, sequence, ...(elementId ? { elementId } : {}) });
  }

  /** Streaming off once 10 minutes have passed since it was turned on (what Lark does on its own). */
  private expire(card: CardEntity): void {
    if (card.streaming && card.streamingSince !== undefined && this.clock.now() - card.streamingSince > STREAMING_LIMIT_MS) {
      card.streaming = false;
      ((card.card.config ??= {}) as Json).streaming_mode = false;
      card.refused.push({ at: this.clock.now(), code: 200850, kind: 'timeout' });
      throw new LarkError(200850, 'Card streaming timeout');
    }
  }

  private content(ctx: Ctx) {
    const { card, body, sequence, repeat } = this.begin(ctx, 'content');
    if (repeat) return ok({});
    const content = reqString(body, 'content');
    if (content.length < 1 || content.length > 100_000) throw invalidParam('content must be 1-100000 characters');
    if (!card.streaming) {
      card.refused.push({ at: this.clock.now(), code: 300309, kind: 'content' });
      throw new LarkError(300309, 'streaming mode is closed');
    }
    this.expire(card);
    const el = elementsOf(card.card).find((e) => e.element_id === ctx.params.element_id);
    if (!el) throw new LarkError(300313, 'Failed to update element properties: no element with this element_id');
    if (el.tag !== 'markdown' && el.tag !== 'plain_text') throw new LarkError(300310, 'Only update text');
    const before = el.content;
    el.content = content;
    if (Buffer.byteLength(JSON.stringify(card.card), 'utf8') > CARD_LIMIT) {
      el.content = before;
      card.refused.push({ at: this.clock.now(), code: 200860, kind: 'content' });
      throw new LarkError(200860, 'Card content exceeds limit.');
    }
    this.commit(card, 'content', sequence, ctx.params.element_id, optString(body, 'uuid'));
    return ok({});
  }

  private settings(ctx: Ctx) {
    const { card, body, sequence, repeat } = this.begin(ctx, 'settings');
    if (repeat) return ok({});
    let settings: Json;
    try {
      settings = JSON.parse(reqString(body, 'settings')) as Json;
    } catch {
      throw new LarkError(300122, 'Failed to update card configuration: settings is not JSON');
    }
    const config = (settings.config ?? {}) as Json;
    const cardConfig = (card.card.config ??= {}) as Json;
    if (config.update_multi === false) throw new LarkError(300302, 'update_multi property is false');
    Object.assign(cardConfig, config);
    if (typeof config.streaming_mode === 'boolean') {
      if (config.streaming_mode && !card.streaming) card.streamingSince = this.clock.now();
      card.streaming = config.streaming_mode;
    }
    this.commit(card, 'settings', sequence, undefined, optString(body, 'uuid'));
    return ok({});
  }

  private replace(ctx: Ctx) {
    const { card, body, sequence, repeat } = this.begin(ctx, 'replace');
    if (repeat) return ok({});
    const wrapped = body.card as Json | undefined;
    if (!wrapped || typeof wrapped !== 'object' || wrapped.type !== 'card_json' || typeof wrapped.data !== 'string')
      throw invalidParam('card must be {type:"card_json", data}');
    const next = this.parseCard(wrapped.data);
    const streaming = ((next.config ?? {}) as Json).streaming_mode === true;
    if (streaming && !card.streaming) card.streamingSince = this.clock.now();
    card.streaming = streaming;
    card.card = next;
    this.commit(card, 'replace', sequence, undefined, optString(body, 'uuid'));
    return ok({});
  }
}

function elementsOf(card: Json): Json[] {
  const out: Json[] = [];
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const e of list as Json[]) {
      out.push(e);
      walk(e.elements);
      walk((e.columns as Json[] | undefined)?.flatMap((c) => (c.elements as Json[]) ?? []));
    }
  };
  walk(((card.body ?? {}) as Json).elements);
  return out;
}
