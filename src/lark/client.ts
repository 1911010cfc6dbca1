/**
 * The one typed Lark Open API client: messaging, Calendar v4, Task v2, Contact v3, Base.
 * Wire format is exactly Lark's (snake_case bodies, seconds for Calendar, milliseconds for Task, ids in
 * paths, idempotency keys where Lark has them). HTTP, tokens and errors live in transport.ts / errors.ts.
 * Every text (and post) message is rendered by text-message.ts as it is sent: nothing in its text can mention,
 * link or style (cards escape their own text: src/cards/lark-md.ts).
 */
import type { Logger } from '../logger';
import type {
  AttendeeInput,
  BaseFields,
  BaseRecord,
  CalendarAttendee,
  CalendarEvent,
  CalendarEventInput,
  CalendarEventPatch,
  CalendarInfo,
  ContactUser,
  CreateTaskInput,
  EventTime,
  EventTimeWire,
  FreeBusySlot,
  MeetingRoom,
  RoomLevel,
  LarkSentMessage,
  LarkTask,
  ListTasksRequest,
  MessageContent,
  MsgType,
  Page,
  PageRequest,
  ReceiveIdType,
  ReplyMessageInput,
  RsvpReply,
  SearchedUser,
  SendMessageInput,
  TaskPatchWire,
  UserIdMatch,
} from './api-types';
import { LarkApiError, LarkRequestInvalid } from './errors';
import { KeyedSerializer } from './keyed-serializer';
import { neutralizedContent } from './text-message';
import { fromCalendarSeconds } from './time';
import {
  apiPath,
  asUser,
  type CallOptions,
  type HttpMethod,
  LarkTransport,
  type QueryValue,
  TENANT,
  type TransportOptions,
  type UserTokenProvider,
} from './transport';
import { MAX_MESSAGE_UUID_LENGTH, stableUuid } from './uuid';

export * from './api-types';
export { asUser, TENANT, type CallOptions, type LarkAuth, type UserTokenProvider } from './transport';
export { messageUuid, stableUuid } from './uuid';

/** Records per Base batch_create request (docs disagree between 500 and 1,000; 500 is safe for both). */
export const BASE_BATCH_LIMIT = 500;
/** Emails or mobiles per batch_get_id request. */
export const CONTACT_BATCH_LIMIT = 50;
/** What an invitee can answer (Lark's event reply API). */
export const RSVP_REPLIES: readonly RsvpReply[] = ['accept', 'decline', 'tentative'];

export type LarkClientOptions = TransportOptions;

export interface BaseWriteOptions extends CallOptions {
  /** Called after each chunk is written (e.g. to heartbeat an activity). */
  onChunk?: (written: number, total: number) => void;
}

type Query = Record<string, QueryValue>;

export class LarkClient {
  private readonly http: LarkTransport;
  /** One writer per Base table at a time in this process: Lark answers 1254291 to concurrent writes. */
  private readonly baseWriters = new KeyedSerializer();

  constructor(options: LarkClientOptions) {
    this.http = new LarkTransport(options);
  }

  private call<T>(method: HttpMethod, path: string, opts: CallOptions, extra: { query?: Query; body?: unknown } = {}) {
    return this.http.request<T>({
      method,
      path,
      query: extra.query,
      body: extra.body,
      auth: opts.as ?? TENANT,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
  }

  /** The bot's own identity (its open_id tells which @mention in a group is the bot). */
  async botInfo(opts: CallOptions = {}): Promise<{ openId: string; appName?: string }> {
    const env = await this.http.requestEnvelope<unknown>({
      method: 'GET',
      path: '/open-apis/bot/v3/info',
      auth: TENANT,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
    const bot = env.bot as { open_id?: unknown; app_name?: unknown } | undefined;
    if (!bot || typeof bot.open_id !== 'string')
      throw new LarkApiError({ code: -1, msg: 'no bot.open_id in the answer', httpStatus: 200, api: 'GET /open-apis/bot/v3/info' });
    return { openId: bot.open_id, appName: typeof bot.app_name === 'string' ? bot.app_name : undefined };
  }

  // ---- Messaging ------------------------------------------------------------------------------------

  async replyMessage(messageId: string, input: ReplyMessageInput, opts: CallOptions = {}): Promise<LarkSentMessage> {
    const path = apiPath`/open-apis/im/v1/messages/${nonEmpty(messageId, 'messageId')}/reply`;
    return this.call<LarkSentMessage>('POST', path, opts, {
      body: {
        content: messageContent(input.msgType, input.content),
        msg_type: input.msgType,
        reply_in_thread: input.replyInThread ?? false,
        uuid: checkUuid(input.uuid, path),
      },
    });
  }

  async sendMessage(receiveIdType: ReceiveIdType, receiveId: string, input: SendMessageInput, opts: CallOptions = {}): Promise<LarkSentMessage> {
    const path = '/open-apis/im/v1/messages';
    return this.call<LarkSentMessage>('POST', path, opts, {
      query: { receive_id_type: receiveIdType },
      body: {
        receive_id: nonEmpty(receiveId, 'receiveId'),
        msg_type: input.msgType,
        content: messageContent(input.msgType, input.content),
        uuid: checkUuid(input.uuid, path),
      },
    });
  }

  /** Replaces an interactive card (it must have been sent with config.update_multi: true; 14-day window). */
  async updateCard(messageId: string, content: MessageContent, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/im/v1/messages/${nonEmpty(messageId, 'messageId')}`;
    await this.call<unknown>('PATCH', path, opts, { body: { content: contentString(content) } });
  }

  // ---- CardKit (card entities, streaming text) --------------------------------------------------------

  /**
   * Creates a card entity from card JSON 2.0 (`cardkit:card:write`); send it with content
   * `{"type":"card","data":{"card_id":...}}`. Lark has no idempotency key here: callers keep the id they got.
   */
  async createCardEntity(card: Record<string, unknown>, opts: CallOptions = {}): Promise<{ cardId: string }> {
    const path = '/open-apis/cardkit/v1/cards';
    const data = await this.call<{ card_id?: string }>('POST', path, opts, { body: { type: 'card_json', data: JSON.stringify(card) } });
    if (!data?.card_id) throw new LarkApiError({ code: -1, msg: 'no card_id in the answer', httpStatus: 200, api: `POST ${path}` });
    return { cardId: data.card_id };
  }

  /**
   * Streams an element's FULL text so far (the client animates what was appended). `sequence` must be larger
   * than every earlier operation's on this card (1..2^31-1); `uuid` makes a repeat a no-op.
   */
  async streamCardText(cardId: string, elementId: string, content: string, op: CardOp, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/cardkit/v1/cards/${nonEmpty(cardId, 'cardId')}/elements/${nonEmpty(elementId, 'elementId')}/content`;
    await this.call<unknown>('PUT', path, opts, { body: { content: content || ' ', sequence: cardSequence(op.sequence, path), uuid: op.uuid } });
  }

  /** Card settings (config, card_link) as card JSON 2.0 fields, e.g. `{config:{streaming_mode:false}}`. */
  async updateCardSettings(cardId: string, settings: Record<string, unknown>, op: CardOp, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/cardkit/v1/cards/${nonEmpty(cardId, 'cardId')}/settings`;
    await this.call<unknown>('PATCH', path, opts, { body: { settings: JSON.stringify(settings), sequence: cardSequence(op.sequence, path), uuid: op.uuid } });
  }

  /** Replaces a card entity's whole JSON (its config too: streaming_mode false ends streaming). */
  async replaceCardEntity(cardId: string, card: Record<string, unknown>, op: CardOp, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/cardkit/v1/cards/${nonEmpty(cardId, 'cardId')}`;
    await this.call<unknown>('PUT', path, opts, {
      body: { card: { type: 'card_json', data: JSON.stringify(card) }, sequence: cardSequence(op.sequence, path), uuid: op.uuid },
    });
  }

  /**
   * In-app urgent ("buzz") on a message the bot sent, to these open_ids (they must be in its chat). Only the app
   * kind: urgent_sms and urgent_phone cost the tenant money and are never used. Returns the ids Lark refused.
   */
  async urgentApp(messageId: string, openIds: string[], opts: CallOptions = {}): Promise<{ invalidOpenIds: string[] }> {
    const path = apiPath`/open-apis/im/v1/messages/${nonEmpty(messageId, 'messageId')}/urgent_app`;
    const data = await this.call<{ invalid_user_id_list?: string[] }>('PATCH', path, opts, {
      query: { user_id_type: 'open_id' },
      body: { user_id_list: openIds },
    });
    return { invalidOpenIds: data.invalid_user_id_list ?? [] };
  }

  // ---- Calendar v4 (SECONDS) ------------------------------------------------------------------------

  /** The primary calendar of the calling identity (`opts.as`): a tenant token gets the bot's own calendar. */
  async primaryCalendar(opts: CallOptions = {}): Promise<CalendarInfo> {
    const path = '/open-apis/calendar/v4/calendars/primary';
    const data = await this.call<{ calendars?: Array<{ calendar?: CalendarInfo }> }>('POST', path, opts, {
      query: { user_id_type: 'open_id' },
    });
    const cal = data?.calendars?.[0]?.calendar;
    if (!cal?.calendar_id) throw new LarkApiError({ code: -1, msg: 'no primary calendar in the answer', httpStatus: 404, api: `POST ${path}` });
    return cal;
  }

  /**
   * Events between two instants given as Unix SECONDS strings (see time.ts). Lark returns one page,
   * truncated at pageSize (50-1000), when a time range is given; `hasMore` says it was cut.
   */
  async listEvents(
    calendarId: string,
    startSec: string,
    endSec: string,
    opts: CallOptions & { pageSize?: number; pageToken?: string } = {},
  ): Promise<Page<CalendarEvent>> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events`;
    const data = await this.call<{ items?: CalendarEvent[]; has_more?: boolean; page_token?: string }>('GET', path, opts, {
      query: {
        start_time: secondsString(startSec, 'startSec', path),
        end_time: secondsString(endSec, 'endSec', path),
        page_size: opts.pageSize ?? 500,
        page_token: opts.pageToken,
        user_id_type: 'open_id',
      },
    });
    return toPage(data?.items, data);
  }

  /**
   * Every event in the range, following `page_token` while `has_more` (page_size 50-1000, Lark's default
   * 500), up to `maxItems` (default 500). `truncated` says the bound was hit or Lark said "more" without a
   * token to continue with (then the caller asks for a shorter range).
   */
  async listAllEvents(
    calendarId: string,
    startSec: string,
    endSec: string,
    opts: CallOptions & { pageSize?: number; maxItems?: number } = {},
  ): Promise<{ items: CalendarEvent[]; truncated: boolean }> {
    return collectPages((pageToken) => this.listEvents(calendarId, startSec, endSec, { ...opts, pageToken }), opts.maxItems ?? LIST_ALL_LIMIT);
  }

  /** `idempotencyKey` makes a retried create return the same event instead of a second one. */
  async createEvent(calendarId: string, event: CalendarEventInput, idempotencyKey: string, opts: CallOptions = {}): Promise<CalendarEvent> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events`;
    const data = await this.call<{ event: CalendarEvent }>('POST', path, opts, {
      query: { idempotency_key: nonEmpty(idempotencyKey, 'idempotencyKey'), user_id_type: 'open_id' },
      body: eventWire(event, path),
    });
    return data.event;
  }

  /**
   * One event. Lark returns attendees only with `need_attendee=true` (default false!), at most
   * `max_attendee_num` of them (default 10, at most 100; `has_more_attendee` says there are more).
   */
  async getEvent(calendarId: string, eventId: string, opts: CallOptions & { needAttendee?: boolean; maxAttendeeNum?: number } = {}): Promise<CalendarEvent> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events/${nonEmpty(eventId, 'eventId')}`;
    const query: Query = { user_id_type: 'open_id' };
    if (opts.needAttendee) {
      query.need_attendee = true;
      query.max_attendee_num = Math.min(100, Math.max(1, Math.floor(opts.maxAttendeeNum ?? 100)));
    }
    const data = await this.call<{ event: CalendarEvent }>('GET', path, opts, { query });
    return data.event;
  }

  async patchEvent(calendarId: string, eventId: string, patch: CalendarEventPatch, opts: CallOptions = {}): Promise<CalendarEvent> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events/${nonEmpty(eventId, 'eventId')}`;
    const data = await this.call<{ event: CalendarEvent }>('PATCH', path, opts, {
      query: { user_id_type: 'open_id' },
      body: eventWire(patch, path),
    });
    return data.event;
  }

  async deleteEvent(calendarId: string, eventId: string, options: { needNotification?: boolean } = {}, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events/${nonEmpty(eventId, 'eventId')}`;
    await this.call<unknown>('DELETE', path, opts, { query: { need_notification: options.needNotification } });
  }

  async addAttendees(
    calendarId: string,
    eventId: string,
    attendees: AttendeeInput[],
    options: { needNotification?: boolean } = {},
    opts: CallOptions = {},
  ): Promise<CalendarAttendee[]> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events/${nonEmpty(eventId, 'eventId')}/attendees`;
    const data = await this.call<{ attendees?: CalendarAttendee[] }>('POST', path, opts, {
      query: { user_id_type: 'open_id' },
      body: { attendees: attendees.map(attendeeWire), need_notification: options.needNotification },
    });
    return data?.attendees ?? [];
  }

  /**
   * Answers an invitation as the calling identity (`opts.as`: the user's token answers for the user):
   * `POST .../events/:event_id/reply` with `{"rsvp_status": "accept" | "decline" | "tentative"}`, on a calendar
   * where the caller sees the event (an invitee's primary calendar). Lark has no idempotency key for it: the
   * reply sets a state, so sending the same status again changes nothing. Scope calendar:calendar (or
   * calendar:calendar.event:reply).
   */
  async replyEvent(calendarId: string, eventId: string, rsvpStatus: RsvpReply, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/calendar/v4/calendars/${calendarIdOf(calendarId)}/events/${nonEmpty(eventId, 'eventId')}/reply`;
    if (!RSVP_REPLIES.includes(rsvpStatus))
      throw new LarkRequestInvalid(`rsvp_status must be one of ${RSVP_REPLIES.join(', ')} (got "${rsvpStatus}")`, `POST ${path}`);
    await this.call<unknown>('POST', path, opts, { body: { rsvp_status: rsvpStatus } });
  }

  /** Busy slots of a user (open_id) between two RFC 3339 times with offsets (time.ts toRfc3339), <= 90 days. */
  async freeBusy(userId: string, timeMin: string, timeMax: string, opts: CallOptions = {}): Promise<FreeBusySlot[]> {
    const path = '/open-apis/calendar/v4/freebusy/list';
    const data = await this.call<{ freebusy_list?: FreeBusySlot[] }>('POST', path, opts, {
      query: { user_id_type: 'open_id' },
      body: { time_min: rfc3339(timeMin, path), time_max: rfc3339(timeMax, path), user_id: nonEmpty(userId, 'userId') },
    });
    return data?.freebusy_list ?? [];
  }

  /**
   * A meeting room's busy periods: the same `POST /calendar/v4/freebusy/list`, with `room_id` instead of
   * `user_id` (Lark takes one of the two). Scope calendar:calendar(:readonly) or calendar:calendar.free_busy:read.
   */
  async roomFreeBusy(roomId: string, timeMin: string, timeMax: string, opts: CallOptions = {}): Promise<FreeBusySlot[]> {
    const path = '/open-apis/calendar/v4/freebusy/list';
    const data = await this.call<{ freebusy_list?: FreeBusySlot[] }>('POST', path, opts, {
      body: { time_min: rfc3339(timeMin, path), time_max: rfc3339(timeMax, path), room_id: nonEmpty(roomId, 'roomId') },
    });
    return data?.freebusy_list ?? [];
  }

  // ---- VC rooms (meeting rooms) ---------------------------------------------------------------------

  /** One page of the tenant's meeting rooms (`GET /open-apis/vc/v1/rooms`, page_size at most 100). Scope vc:room:readonly. */
  async listRooms(request: PageRequest & { roomLevelId?: string } = {}, opts: CallOptions = {}): Promise<Page<MeetingRoom>> {
    const data = await this.call<{ rooms?: MeetingRoom[]; has_more?: boolean; page_token?: string }>('GET', '/open-apis/vc/v1/rooms', opts, {
      query: { page_size: request.pageSize ?? 100, page_token: request.pageToken, room_level_id: request.roomLevelId, user_id_type: 'open_id' },
    });
    return toPage(data?.rooms, data);
  }

  /** Every room, following page_token (bounded like the other "list all" calls). */
  async listAllRooms(opts: CallOptions = {}, maxItems = LIST_ALL_LIMIT): Promise<{ items: MeetingRoom[]; truncated: boolean }> {
    return collectPages((pageToken) => this.listRooms({ pageSize: 100, ...(pageToken ? { pageToken } : {}) }, opts), maxItems);
  }

  /** One room (`GET /open-apis/vc/v1/rooms/:room_id`). */
  async getRoom(roomId: string, opts: CallOptions = {}): Promise<MeetingRoom> {
    const path = apiPath`/open-apis/vc/v1/rooms/${nonEmpty(roomId, 'roomId')}`;
    const data = await this.call<{ room: MeetingRoom }>('GET', path, opts, { query: { user_id_type: 'open_id' } });
    return data.room;
  }

  /** Room levels by id (`POST /open-apis/vc/v1/room_levels/mget {level_ids}`): their names (building, floor). */
  async roomLevels(levelIds: string[], opts: CallOptions = {}): Promise<RoomLevel[]> {
    if (!levelIds.length) return [];
    const data = await this.call<{ items?: RoomLevel[] }>('POST', '/open-apis/vc/v1/room_levels/mget', opts, { body: { level_ids: levelIds } });
    return data?.items ?? [];
  }

  // ---- Task v2 (MILLISECONDS) -----------------------------------------------------------------------

  async createTask(input: CreateTaskInput, opts: CallOptions = {}): Promise<LarkTask> {
    const path = '/open-apis/task/v2/tasks';
    const members = [
      ...(input.assigneeOpenIds ?? []).map((id) => ({ id, type: 'user', role: 'assignee' })),
      ...(input.followerOpenIds ?? []).map((id) => ({ id, type: 'user', role: 'follower' })),
    ];
    const data = await this.call<{ task: LarkTask }>('POST', path, opts, {
      query: { user_id_type: 'open_id' },
      body: {
        summary: nonEmpty(input.summary, 'summary'),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.dueMs !== undefined ? { due: { timestamp: millisString(input.dueMs, 'dueMs', path), is_all_day: input.dueIsAllDay ?? false } } : {}),
        ...(members.length ? { members } : {}),
        client_token: nonEmpty(input.clientToken, 'clientToken'),
      },
    });
    return data.task;
  }

  /** Tasks of the user (Lark allows this with a user token only). */
  async listTasks(openId: string, request: ListTasksRequest = {}, opts: Omit<CallOptions, 'as'> = {}): Promise<Page<LarkTask>> {
    const data = await this.call<{ items?: LarkTask[]; has_more?: boolean; page_token?: string }>(
      'GET',
      '/open-apis/task/v2/tasks',
      { ...opts, as: asUser(openId) },
      {
        query: {
          page_size: request.pageSize ?? 50,
          page_token: request.pageToken,
          completed: request.completed,
          user_id_type: 'open_id',
        },
      },
    );
    return toPage(data?.items, data);
  }

  /** Every task of the user (page_size 1-100), following `page_token` while `has_more`, up to `maxItems` (default 500). */
  async listAllTasks(
    openId: string,
    request: Omit<ListTasksRequest, 'pageToken'> & { maxItems?: number } = {},
    opts: Omit<CallOptions, 'as'> = {},
  ): Promise<{ items: LarkTask[]; truncated: boolean }> {
    const { maxItems, ...rest } = request;
    return collectPages((pageToken) => this.listTasks(openId, { pageSize: 100, ...rest, pageToken }, opts), maxItems ?? LIST_ALL_LIMIT);
  }

  /** Task v2 delete (DELETE /open-apis/task/v2/tasks/:task_guid); 1470404 when it is already gone. */
  async deleteTask(guid: string, opts: CallOptions = {}): Promise<void> {
    const path = apiPath`/open-apis/task/v2/tasks/${nonEmpty(guid, 'guid')}`;
    await this.call<unknown>('DELETE', path, opts, {});
  }

  /** Lark clears a field named in `updateFields` but absent from `task`: name only what you set. */
  async patchTask(guid: string, task: TaskPatchWire, updateFields: Array<keyof TaskPatchWire>, opts: CallOptions = {}): Promise<LarkTask> {
    const path = apiPath`/open-apis/task/v2/tasks/${nonEmpty(guid, 'guid')}`;
    if (updateFields.length === 0) throw new LarkRequestInvalid('patchTask needs at least one update field', `PATCH ${path}`);
    const data = await this.call<{ task: LarkTask }>('PATCH', path, opts, {
      query: { user_id_type: 'open_id' },
      body: { task, update_fields: updateFields },
    });
    return data.task;
  }

  /**
   * Completes a task the official way (PATCH completed_at, milliseconds). If that route answers HTTP 404
   * (some tenants, and the seed's reading of the API), falls back to `POST /tasks/:guid/complete`.
   * Pass a fixed completedAtMs (e.g. the workflow's time) so a retry writes the same value.
   */
  async completeTask(guid: string, completedAtMs: string | number, opts: CallOptions = {}): Promise<LarkTask | undefined> {
    const ms = millisString(completedAtMs, 'completedAtMs', `PATCH /open-apis/task/v2/tasks/${guid}`);
    try {
      return await this.patchTask(guid, { completed_at: ms }, ['completed_at'], opts);
    } catch (err) {
      if (!(err instanceof LarkApiError) || err.httpStatus !== 404) throw err;
      const path = apiPath`/open-apis/task/v2/tasks/${guid}/complete`;
      try {
        const data = await this.call<{ task?: LarkTask } | undefined>('POST', path, opts, { body: {} });
        return data?.task;
      } catch (fallbackErr) {
        // Both routes 404: the task itself is missing; the PATCH error says so in Lark's official terms.
        if (fallbackErr instanceof LarkApiError && fallbackErr.httpStatus === 404) throw err;
        throw fallbackErr;
      }
    }
  }

  // ---- Contact v3 -----------------------------------------------------------------------------------

  async getUser(openId: string, opts: CallOptions = {}): Promise<ContactUser> {
    const path = apiPath`/open-apis/contact/v3/users/${nonEmpty(openId, 'openId')}`;
    const data = await this.call<{ user: ContactUser }>('GET', path, opts, { query: { user_id_type: 'open_id' } });
    return data.user;
  }

  /** open_ids for e-mails / mobiles (unmatched entries come back without user_id). Batches of 50. */
  async batchGetIdByEmailOrMobile(lookup: { emails?: string[]; mobiles?: string[] }, opts: CallOptions = {}): Promise<UserIdMatch[]> {
    const emails = chunk(lookup.emails ?? [], CONTACT_BATCH_LIMIT);
    const mobiles = chunk(lookup.mobiles ?? [], CONTACT_BATCH_LIMIT);
    const out: UserIdMatch[] = [];
    for (let i = 0; i < Math.max(emails.length, mobiles.length); i++) {
      const data = await this.call<{ user_list?: UserIdMatch[] }>('POST', '/open-apis/contact/v3/users/batch_get_id', opts, {
        query: { user_id_type: 'open_id' },
        body: { ...(emails[i] ? { emails: emails[i] } : {}), ...(mobiles[i] ? { mobiles: mobiles[i] } : {}) },
      });
      out.push(...(data?.user_list ?? []));
    }
    return out;
  }

  /** Directory search as the user (user token only). */
  async searchUsers(openId: string, query: string, page: PageRequest = {}, opts: Omit<CallOptions, 'as'> = {}): Promise<Page<SearchedUser>> {
    const data = await this.call<{ users?: SearchedUser[]; has_more?: boolean; page_token?: string }>(
      'GET',
      '/open-apis/search/v1/user',
      { ...opts, as: asUser(openId) },
      { query: { query: nonEmpty(query, 'query'), page_size: page.pageSize ?? 20, page_token: page.pageToken } },
    );
    return toPage(data?.users, data);
  }

  // ---- Base (Bitable) -------------------------------------------------------------------------------

  /**
   * Appends records in chunks of 500, one writer per table at a time in this process. Each chunk carries
   * its own client_token derived from `clientToken` and the chunk index, so a retry of the whole batch
   * re-sends identical chunks that Lark deduplicates.
   */
  async batchCreateRecords(appToken: string, tableId: string, records: BaseFields[], clientToken: string, opts: BaseWriteOptions = {}): Promise<BaseRecord[]> {
    const path = apiPath`/open-apis/bitable/v1/apps/${nonEmpty(appToken, 'appToken')}/tables/${nonEmpty(tableId, 'tableId')}/records/batch_create`;
    nonEmpty(clientToken, 'clientToken');
    const chunks = chunk(records, BASE_BATCH_LIMIT);
    return this.baseWriters.run(`${appToken}/${tableId}`, async () => {
      opts.signal?.throwIfAborted();
      const created: BaseRecord[] = [];
      for (const [i, part] of chunks.entries()) {
        const data = await this.call<{ records?: BaseRecord[] }>('POST', path, opts, {
          query: { client_token: stableUuid(clientToken, i), user_id_type: 'open_id' },
          body: { records: part.map((fields) => ({ fields })) },
        });
        created.push(...(data?.records ?? []));
        opts.onChunk?.(Math.min((i + 1) * BASE_BATCH_LIMIT, records.length), records.length);
      }
      return created;
    });
  }
}

// ---- Wire helpers -----------------------------------------------------------------------------------

/** One operation on a card entity: its place in the card's order, and its idempotency key (<= 64 chars). */
export interface CardOp {
  sequence: number;
  uuid: string;
}

function cardSequence(sequence: number, path: string): number {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 2147483647)
    throw new LarkRequestInvalid(`sequence must be an integer in 1..2147483647 (got ${sequence})`, path);
  return sequence;
}

function nonEmpty(value: string, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new LarkRequestInvalid(`${name} must be a non-empty string`);
  return value;
}

function checkUuid(uuid: string, path: string): string {
  nonEmpty(uuid, 'uuid');
  if (uuid.length > MAX_MESSAGE_UUID_LENGTH) {
    throw new LarkRequestInvalid(`uuid must be at most ${MAX_MESSAGE_UUID_LENGTH} characters (use messageUuid)`, `POST ${path}`);
  }
  return uuid;
}

function calendarIdOf(calendarId: string): string {
  nonEmpty(calendarId, 'calendarId');
  if (calendarId.trim().toLowerCase() === 'primary') {
    throw new LarkRequestInvalid('"primary" is not a calendar_id: resolve it with primaryCalendar() first');
  }
  return calendarId;
}

function contentString(content: MessageContent): string {
  return typeof content === 'string' ? content : JSON.stringify(content);
}

/**
 * What a sent or replied message carries: a text or post goes through the one text renderer (text-message.ts),
 * here at the last step, so no text the bot posts can mention anyone, link, or style by the text it contains.
 */
function messageContent(msgType: MsgType, content: MessageContent): string {
  return contentString(neutralizedContent(msgType, content));
}

function secondsString(value: string, name: string, path: string): string {
  try {
    fromCalendarSeconds(value); // rejects non-integers and millisecond values
  } catch (err) {
    throw new LarkRequestInvalid(`${name}: ${(err as Error).message} (Calendar wants Unix seconds)`, path);
  }
  return String(value).trim();
}

function millisString(value: string | number, name: string, path: string): string {
  const s = String(value).trim();
  if (!/^\d+$/.test(s)) throw new LarkRequestInvalid(`${name} must be Unix milliseconds (got "${s}")`, path);
  // "0" is meaningful (reopen a task); other values below 1e11 are seconds by mistake (before 1973 in ms).
  if (s !== '0' && Number(s) < 1e11) throw new LarkRequestInvalid(`${name} looks like seconds, Task wants milliseconds (got ${s})`, path);
  return s;
}

const RFC3339_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function rfc3339(value: string, path: string): string {
  if (!RFC3339_WITH_OFFSET.test(value) || Number.isNaN(Date.parse(value))) {
    throw new LarkRequestInvalid(`free/busy times must be RFC 3339 with an offset, e.g. 2026-11-22T15:00:00+07:00 (got "${value}")`, path);
  }
  return value;
}

function timeWire(t: EventTime, path: string): EventTimeWire {
  if ('date' in t) return { date: t.date, ...(t.timezone ? { timezone: t.timezone } : {}) };
  return { timestamp: secondsString(t.timestampSec, 'timestampSec', path), ...(t.timezone ? { timezone: t.timezone } : {}) };
}

function eventWire(e: CalendarEventPatch, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.summary !== undefined) out.summary = e.summary;
  if (e.description !== undefined) out.description = e.description;
  if (e.start) out.start_time = timeWire(e.start, path);
  if (e.end) out.end_time = timeWire(e.end, path);
  if (e.location) out.location = e.location;
  if (e.reminderMinutes) out.reminders = e.reminderMinutes.map((minutes) => ({ minutes }));
  if (e.recurrence !== undefined) out.recurrence = e.recurrence;
  if (e.visibility) out.visibility = e.visibility;
  if (e.attendeeAbility) out.attendee_ability = e.attendeeAbility;
  if (e.freeBusyStatus) out.free_busy_status = e.freeBusyStatus;
  if (e.needNotification !== undefined) out.need_notification = e.needNotification;
  return out;
}

function attendeeWire(a: AttendeeInput): Record<string, unknown> {
  const idField = { user: 'user_id', chat: 'chat_id', resource: 'room_id', third_party: 'third_party_email' }[a.type];
  return {
    type: a.type,
    [idField]: a.id,
    is_optional: a.isOptional ?? false,
    ...(a.type === 'resource' && a.approvalReason ? { approval_reason: a.approvalReason.slice(0, 200) } : {}),
  };
}

function toPage<T>(items: T[] | undefined, data: { has_more?: boolean; page_token?: string } | undefined): Page<T> {
  return { items: items ?? [], hasMore: data?.has_more ?? false, ...(data?.page_token ? { pageToken: data.page_token } : {}) };
}

/** How many items a "list all" call gathers at most, so one request cannot pull a whole calendar. */
export const LIST_ALL_LIMIT = 500;
const MAX_PAGES = 100;

async function collectPages<T>(fetchPage: (token: string | undefined) => Promise<Page<T>>, maxItems: number): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await fetchPage(token);
    items.push(...page.items);
    if (items.length >= maxItems) return { items: items.slice(0, maxItems), truncated: page.hasMore || items.length > maxItems };
    if (!page.hasMore) return { items, truncated: false };
    // "More" without a new token would loop forever: stop and say the list is cut.
    if (!page.pageToken || seen.has(page.pageToken)) return { items, truncated: true };
    seen.add(page.pageToken);
    token = page.pageToken;
  }
  return { items, truncated: true };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
