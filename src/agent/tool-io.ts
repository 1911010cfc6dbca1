/**
 * What crosses between the agent loop (workflow code) and the tool activities: the call's input and the
 * results the workflow reads. Plain types, so both sides import them from here.
 */
import type { Lang } from '../i18n/language';
import type { ToolEffect } from '../i18n/messages';

export interface RunToolInput {
  openId: string;
  /** The user message being handled and the model's tool_use id: together the idempotency key. */
  sourceMessageId: string;
  toolUseId: string;
  name: string;
  input: unknown;
  timezone: string;
  /** The workflow's clock at the call: a retry sees the same "now" (e.g. completed_at). */
  nowMs: number;
  /** The chat of the request (a reminder's card goes there) and the language of the turn. */
  chatId?: string;
  lang?: Lang;
}

export interface ToolOutcome {
  /** JSON or a sentence, as the model will read it. */
  content: string;
  isError: boolean;
  /** For a write that Lark accepted: what changed, from Lark's answer (the answer's footer is built from it). */
  effect?: ToolEffect;
}

/** What find_time returns: the lead builds the slot card from it. Wall times are in the user's zone. */
export interface FindTimeResult {
  durationMinutes: number;
  timezone: string;
  window: { start: string; end: string };
  slots: Array<{
    start: string;
    end: string;
    startMs: number;
    endMs: number;
    attendee_local?: Record<string, string>;
    room?: { room_id: string; name: string; capacity?: number; place?: string };
  }>;
  /** The people resolved (not the user), with their zone when configured. */
  attendees: Array<{ name: string; open_id: string; timezone?: string }>;
  /** The title to book a slot with (find_time's summary), else "Meeting with ...". */
  summary?: string;
  none?: string;
}

/** What a booked room answered, read back after the write: accept, decline, or not yet (approval). */
export type RoomStatus = 'accepted' | 'pending' | 'declined';

export interface RoomFacts {
  room_id: string;
  name: string;
  status: RoomStatus;
}

export interface CheckSlotInput {
  openId: string;
  attendeeOpenIds: string[];
  startMs: number;
  endMs: number;
  /** Zone of the times in `conflicts` (default Asia/Ho_Chi_Minh). */
  timezone?: string;
  /** The slot's meeting room (find_time with a room need): re-checked too; its name for the conflict. */
  roomId?: string;
  roomName?: string;
}

export interface CheckSlotResult {
  free: boolean;
  /** Busy blocks overlapping the slot: who (display name, or open_id when the directory will not say) and when. */
  conflicts: Array<{ who: string; open_id: string; start: string; end: string; room?: true }>;
}

/** What inspectEvent tells: ids and small facts; names only for the confirmation card the user sees. */
export interface EventFacts {
  found: boolean;
  summary?: string;
  /** Epoch ms; an all-day event starts at midnight in the given timezone. */
  startMs?: number;
  endMs?: number;
  /** Display names of the others in the event (organizer first when it is someone else), at most 20. */
  attendeeNames: string[];
  othersAttend: boolean;
  /** The organizer's display name when it is someone else (an invitation's answer goes to them). */
  organizer?: string;
}
