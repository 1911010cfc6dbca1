/**
 * Lark Open API shapes. Inputs to client methods are camelCase; what Lark returns is typed as it is on the
 * wire (snake_case), so fields read here match Lark's documentation one to one. Pure types.
 */

// ---- Common -----------------------------------------------------------------------------------------

/** Every Open API answer (the token endpoint puts its fields next to code/msg instead of in data). */
export interface LarkEnvelope<T = unknown> {
  code: number;
  msg?: string;
  data?: T;
  error?: { log_id?: string; permission_violations?: Array<{ type?: string; subject?: string; description?: string }> };
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
  pageToken?: string;
}

export interface PageRequest {
  pageSize?: number;
  pageToken?: string;
}

// ---- Messaging --------------------------------------------------------------------------------------

export type MsgType = 'text' | 'post' | 'image' | 'file' | 'audio' | 'media' | 'sticker' | 'interactive' | 'share_chat' | 'share_user';

export type ReceiveIdType = 'open_id' | 'user_id' | 'union_id' | 'email' | 'chat_id';

/** `content` is Lark's JSON string; an object is serialised for you. */
export type MessageContent = string | Record<string, unknown>;

export interface ReplyMessageInput {
  msgType: MsgType;
  content: MessageContent;
  replyInThread?: boolean;
  /** Idempotency key (<= 50 chars): use messageUuid(sourceMessageId, step). */
  uuid: string;
}

export interface SendMessageInput {
  msgType: MsgType;
  content: MessageContent;
  uuid: string;
}

export interface LarkSentMessage {
  message_id: string;
  root_id?: string;
  parent_id?: string;
  thread_id?: string;
  msg_type?: string;
  create_time?: string;
  update_time?: string;
  chat_id?: string;
  body?: { content: string };
}

// ---- Calendar v4 ------------------------------------------------------------------------------------

export interface CalendarInfo {
  calendar_id: string;
  summary?: string;
  description?: string;
  permissions?: string;
  /** primary | shared | google | resource | exchange */
  type?: string;
  role?: string;
  is_deleted?: boolean;
  is_third_party?: boolean;
}

/** Event times: Unix SECONDS as a string, or an all-day date. Build them with src/lark/time.ts. */
export type EventTime = { timestampSec: string; timezone?: string } | { date: string; timezone?: string };

export type EventTimeWire = { timestamp: string; timezone?: string } | { date: string; timezone?: string };

export interface CalendarEventInput {
  summary?: string;
  description?: string;
  start: EventTime;
  end: EventTime;
  location?: { name: string; address?: string };
  /** Minutes before the start. */
  reminderMinutes?: number[];
  /** RFC 5545 RRULE, e.g. "FREQ=WEEKLY;COUNT=4". */
  recurrence?: string;
  visibility?: 'default' | 'public' | 'private';
  attendeeAbility?: 'none' | 'can_see_others' | 'can_invite_others' | 'can_modify_event';
  freeBusyStatus?: 'busy' | 'free';
  needNotification?: boolean;
}

export type CalendarEventPatch = Partial<CalendarEventInput>;

export interface CalendarEvent {
  event_id: string;
  organizer_calendar_id?: string;
  summary?: string;
  description?: string;
  start_time?: EventTimeWire;
  end_time?: EventTimeWire;
  location?: { name?: string; address?: string };
  status?: string;
  visibility?: string;
  recurrence?: string;
  app_link?: string;
  free_busy_status?: string;
  /** Only in the event GET with need_attendee=true (at most max_attendee_num; has_more_attendee says more). */
  attendees?: CalendarAttendee[];
  has_more_attendee?: boolean;
  /** The organizer (user_id in the request's user_id_type). */
  event_organizer?: { user_id?: string; display_name?: string };
  reminders?: Array<{ minutes: number }>;
  vchat?: { vc_type?: string; meeting_url?: string };
}

export interface AttendeeInput {
  type: 'user' | 'chat' | 'resource' | 'third_party';
  /** open_id for users, chat_id, room_id, or an e-mail for third_party. */
  id: string;
  isOptional?: boolean;
  /** A room that needs approval: the reason the approver reads (at most 200 characters). Lark fails such a booking without one. */
  approvalReason?: string;
}

export interface CalendarAttendee {
  type?: string;
  attendee_id?: string;
  user_id?: string;
  chat_id?: string;
  room_id?: string;
  third_party_email?: string;
  is_optional?: boolean;
  rsvp_status?: string;
  display_name?: string;
  is_organizer?: boolean;
  is_external?: boolean;
}

/** An attendee's answer to an invitation: `needs_action` until they reply; `removed` once taken off it. */
export type RsvpStatus = 'needs_action' | 'accept' | 'tentative' | 'decline' | 'removed';
/** What the event reply API sets. */
export type RsvpReply = 'accept' | 'decline' | 'tentative';

/**
 * A meeting room (VC room API, `GET /open-apis/vc/v1/rooms`): `path` is the room level ids from the top
 * (building, floor, ...), `room_level_id` the level it sits in; names of levels come from `room_levels/mget`.
 */
export interface MeetingRoom {
  room_id: string;
  name?: string;
  capacity?: number;
  description?: string;
  display_id?: string;
  room_level_id?: string;
  path?: string[];
  room_status?: { status?: boolean; schedule_status?: boolean; disable_reason?: string };
}

/** A room level (a building, a floor...): `POST /open-apis/vc/v1/room_levels/mget`. */
export interface RoomLevel {
  room_level_id: string;
  name?: string;
  parent_id?: string;
  path?: string[];
}

export interface FreeBusySlot {
  start_time: string;
  end_time: string;
  rsvp_status?: string;
}

// ---- Task v2 (MILLISECONDS) -------------------------------------------------------------------------

export interface CreateTaskInput {
  summary: string;
  description?: string;
  /** Unix MILLISECONDS (string or number); build it with src/lark/time.ts. */
  dueMs?: string | number;
  dueIsAllDay?: boolean;
  assigneeOpenIds?: string[];
  followerOpenIds?: string[];
  /** Idempotency key for the create (1-100 chars): use stableUuid(sourceMessageId, step). */
  clientToken: string;
}

export interface TaskMember {
  id: string;
  type?: 'user' | 'app';
  role: 'assignee' | 'follower';
  name?: string;
}

export interface LarkTask {
  guid: string;
  task_id?: string;
  summary?: string;
  description?: string;
  due?: { timestamp: string; is_all_day?: boolean };
  start?: { timestamp: string; is_all_day?: boolean };
  /** "0" when not completed. */
  completed_at?: string;
  status?: string;
  members?: TaskMember[];
  url?: string;
  created_at?: string;
  updated_at?: string;
}

/** Wire-shaped fields for PATCH; `update_fields` names which of them to write (a named absent field is cleared). */
export interface TaskPatchWire {
  summary?: string;
  description?: string;
  due?: { timestamp: string; is_all_day?: boolean } | null;
  start?: { timestamp: string; is_all_day?: boolean } | null;
  completed_at?: string;
  extra?: string;
}

export interface ListTasksRequest extends PageRequest {
  completed?: boolean;
}

// ---- Contact v3 -------------------------------------------------------------------------------------

export interface ContactUser {
  open_id?: string;
  union_id?: string;
  user_id?: string;
  name?: string;
  en_name?: string;
  email?: string;
  mobile?: string;
  avatar?: Record<string, string>;
  department_ids?: string[];
  job_title?: string;
  status?: Record<string, boolean>;
}

export interface UserIdMatch {
  /** The id in the requested user_id_type (open_id here); absent when nobody matched. */
  user_id?: string;
  email?: string;
  mobile?: string;
}

export interface SearchedUser {
  name?: string;
  open_id?: string;
  user_id?: string;
  department_ids?: string[];
  avatar?: Record<string, string>;
}

// ---- Base (Bitable) ---------------------------------------------------------------------------------

export type BaseFields = Record<string, unknown>;

export interface BaseRecord {
  record_id: string;
  fields: BaseFields;
}
