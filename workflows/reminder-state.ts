/**
 * A reminder workflow's state as one small class, like the per-user workflow's UserState: what the run carries
 * over (ReminderCarried), what its signals and clicks set, and the rules over them (the next fire, a click taken
 * once per card, a snooze, a fire recorded, the meeting as re-read, the query's answer). Pure data and rules, no
 * Temporal calls (the time and the patch checks come in as arguments): reminder-workflow.ts drives it, and
 * test/reminder-state.test.ts tests it without a server.
 */
import type { LinkedEvent } from '../src/reminders/schedule';
import { formatForUi, isRecurring, nextOccurrence } from '../src/reminders/schedule';
import type { ReminderClick, ReminderClickReply, ReminderWorkflowInput, ReminderWorkflowState } from './contract';

/** What a run carries into the next one (continue-as-new passes it as `carried`). */
export interface ReminderCarried {
  /** The last occurrence fired (or given up): the next one is after it. */
  lastOccurrenceMs?: number;
  snoozeUntilMs?: number;
  openCard?: { occurrenceMs: number; messageId: string; firedAtMs: number };
  fired: number;
  firedOccurrences: number[];
  lateOccurrences: number[];
  /** Cards already answered (a second click is told so). */
  answered: number[];
  loginCards: number;
  /** Cards answered by Reschedule (optional: runs carried from before it existed). */
  rescheduled?: number[];
  /** A meeting-linked reminder: the meeting's start and title as last read (the input has them as set). */
  eventStartMs?: number;
  eventTitle?: string;
  /** When the meeting last moved: a fire time already past by then fires at once, not "late". */
  rearmedAtMs?: number;
  eventMoves?: number;
  /** An urgent reminder: the occurrences whose unclicked card got its one buzz. */
  escalated?: number[];
  /** The card whose Snooze is pending: a cancel before the snooze fires updates it too (it said "snoozed until"). */
  snoozedCard?: { messageId: string; untilMs: number };
}

export type ReminderInput = ReminderWorkflowInput & { carried?: ReminderCarried };

export const SNOOZE_MS = { snooze10: 10 * 60_000, snooze60: 60 * 60_000 } as const;
export const MINUTE = 60_000;
/** The carried lists keep this many entries (the newest). */
const KEEP = 20;
export function push(list: number[], v: number): void {
  list.push(v);
  while (list.length > KEEP) list.shift();
}

export class ReminderState {
  /** Carried over from the previous run (the same object goes to the next one). */
  readonly st: ReminderCarried;
  readonly recurring: boolean;
  /** The meeting a linked reminder follows (as set; its start and title as last read are in `st`). */
  readonly linked: LinkedEvent | undefined;

  /** cancel_reminder's signal. */
  cancelled = false;
  /** The OAuth callback's signal, reset before each sleep of a sign-in wait. */
  authSignalled = false;
  /** Since when a fire waits for the user's sign-in; undefined when not waiting. */
  awaitingAuthSince: number | undefined;
  /** The click taken, waiting for the main loop to apply it. */
  click: ReminderClick | undefined;
  /** The next fire (a snooze included), as the main loop planned it. */
  nextFire: number | undefined;
  /** The next fire last written to the index (a linked reminder indexes only a change). */
  indexedNext: number | undefined;
  /** A linked reminder dropped because its meeting went away. */
  droppedForEvent = false;
  /** The scopes named to the user when a fire hit a permission the sign-in lacks. */
  missingScopes: string[] | undefined;
  /** The meeting's new start, sent by update_event (reminderEventMovedSignal); applied by the main loop. */
  meetingMoved: { startMs: number; title?: string } | undefined;
  /** The occurrence whose fire activity is in flight: its card may be in the chat before the activity returns. */
  firing: number | undefined;
  /** A click taken while its card's occurrence was being fired (PATCH_CLICK_WHILE_FIRING). */
  clickWhileFiring = false;
  /** The user's new zone (reminderTimezoneSignal), applied by the main loop while it waits. */
  newZone: string | undefined;

  constructor(private readonly input: ReminderInput) {
    this.st = input.carried ?? { fired: 0, firedOccurrences: [], lateOccurrences: [], answered: [], loginCards: 0 };
    this.recurring = isRecurring(input.schedule);
    this.linked = input.event;
  }

  /** The meeting's start as last read (a linked reminder only). */
  eventStart(): number {
    return this.st.eventStartMs ?? this.linked!.startMs;
  }

  eventTitle(): string | undefined {
    return this.st.eventTitle ?? this.linked?.title;
  }

  /** The offset before the meeting's last known start; a move that put it in the past fires at once. */
  linkedFireAt(): number {
    return Math.max(this.eventStart() - this.linked!.minutesBefore * MINUTE, this.st.rearmedAtMs ?? 0);
  }

  // ---- What the signals and the click Update set.

  cancel(): void {
    this.cancelled = true;
  }

  signedIn(): void {
    this.authSignalled = true;
  }

  meetingMovedTo(m: { startMs: number; title?: string }): void {
    if (this.linked) this.meetingMoved = m;
  }

  /** Only a repeating reminder with a wall-clock time follows the user's zone, and only to another zone. */
  zoneChanged(timezone: string): void {
    if (this.recurring && this.input.schedule.kind !== 'interval' && timezone !== this.input.timezone) this.newZone = timezone;
  }

  /**
   * Exactly once per card: the first click on the live card is accepted; any other is told what it changed
   * (nothing). A click on the card of the occurrence in flight (Lark has posted it, the user clicked it, the
   * workflow has not recorded it yet) is taken when `mayTakeWhileFiring` says so (the patch check, asked only then).
   */
  clicked(c: ReminderClick, mayTakeWhileFiring: () => boolean): ReminderClickReply {
    if (c.by !== undefined && c.by !== this.input.openId) return { result: 'not_yours' };
    if (this.st.answered.includes(c.occurrenceMs) || this.click?.occurrenceMs === c.occurrenceMs) {
      return { result: 'already_answered', ...(this.st.rescheduled?.includes(c.occurrenceMs) ? { rescheduled: true } : {}) };
    }
    if (this.cancelled) return { result: 'stale' };
    if (this.st.openCard?.occurrenceMs !== c.occurrenceMs) {
      if (this.firing !== c.occurrenceMs || !mayTakeWhileFiring()) return { result: 'stale' };
      this.clickWhileFiring = true;
    }
    this.click = c;
    push(this.st.answered, c.occurrenceMs);
    if (c.action === 'reschedule') push((this.st.rescheduled ??= []), c.occurrenceMs);
    return { result: 'accepted' };
  }

  // ---- The main loop's rules.

  /**
   * The click to apply now, taken off: undefined when none waits; `apply: false` for one taken while its
   * occurrence was being fired when that fire never recorded its card (given up): nothing to apply.
   */
  takeClick(): { click: ReminderClick; apply: boolean } | undefined {
    const c = this.click;
    if (!c) return undefined;
    this.click = undefined;
    const apply = !(this.clickWhileFiring && this.st.openCard?.occurrenceMs !== c.occurrenceMs);
    this.clickWhileFiring = false;
    return { click: c, apply };
  }

  /**
   * Plans the next fire (`nextFire`): the snooze when it comes first, else the next occurrence (a linked
   * reminder's one occurrence: its meeting's start minus the offset). Undefined: nothing more to fire.
   */
  planNextFire(): number | undefined {
    const occurrence = this.linked
      ? this.st.lastOccurrenceMs === undefined
        ? this.linkedFireAt()
        : undefined
      : nextOccurrence(this.input.schedule, this.st.lastOccurrenceMs ?? this.input.createdAtMs, this.input.timezone);
    this.nextFire =
      this.st.snoozeUntilMs !== undefined && (occurrence === undefined || this.st.snoozeUntilMs < occurrence) ? this.st.snoozeUntilMs : occurrence;
    return this.nextFire;
  }

  /** Whether the planned fire must be written to the index: a linked reminder's re-reads loop often, so only a changed time. */
  indexWanted(): boolean {
    return !this.linked || this.nextFire !== this.indexedNext;
  }

  /** Whether the wait for `nextFire` follows the meeting (re-reading it in slices): a linked occurrence, not a snooze. */
  followsEvent(): boolean {
    return this.linked !== undefined && this.nextFire !== this.st.snoozeUntilMs;
  }

  /** The wait before `due` wakes for a cancel, a click, a meeting moved through the bot or a new zone. */
  wakesEarly(): boolean {
    return this.cancelled || this.click !== undefined || this.meetingMoved !== undefined || this.newZone !== undefined;
  }

  /** A zone change moves the run on from now: the next occurrence is computed after this moment, in the new zone. */
  leaveForNewZone(now: number): void {
    this.st.lastOccurrenceMs = Math.max(this.st.lastOccurrenceMs ?? this.input.createdAtMs, now);
  }

  /** Takes the meeting moved through the bot off, to apply it. */
  takeMeetingMoved(): { startMs: number; title?: string } | undefined {
    const moved = this.meetingMoved;
    this.meetingMoved = undefined;
    return moved;
  }

  /** Whether the fire of `due` is the snooze (true) or an occurrence; either way it is taken off the plan. */
  startFire(due: number): boolean {
    const snoozed = due === this.st.snoozeUntilMs;
    if (snoozed) {
      this.st.snoozeUntilMs = undefined;
      this.st.snoozedCard = undefined;
    } else this.st.lastOccurrenceMs = due;
    return snoozed;
  }

  /** The fire found the meeting moved: the occurrence is armed again for its new start. */
  unfire(snoozed: boolean): void {
    if (!snoozed) this.st.lastOccurrenceMs = undefined;
  }

  /** The meeting as just read: a new start re-arms the reminder (returned: from, to); the title is kept for the card and the notices. */
  applyEventRead(read: { startMs?: number; title?: string }, now: number): { from: number; to: number } | undefined {
    if (read.title) this.st.eventTitle = read.title;
    if (read.startMs === undefined || read.startMs === this.eventStart()) return undefined;
    const from = this.eventStart();
    this.st.eventStartMs = read.startMs;
    this.st.rearmedAtMs = now;
    this.st.eventMoves = (this.st.eventMoves ?? 0) + 1;
    return { from, to: read.startMs };
  }

  /** A fire that posted its card (`messageId`; a reminder's card is then the live one) or its message (the agenda). */
  recordFired(occurrenceMs: number, messageId: string, late: boolean, now: number): void {
    this.st.openCard = this.input.kind === 'reminder' ? { occurrenceMs, messageId, firedAtMs: now } : undefined;
    this.st.fired++;
    push(this.st.firedOccurrences, occurrenceMs);
    if (late) push(this.st.lateOccurrences, occurrenceMs);
  }

  /** A Snooze click: the snooze time, and the card that says so (a cancel before it fires updates that card). */
  snooze(action: 'snooze10' | 'snooze60', now: number): number {
    this.st.snoozeUntilMs = now + SNOOZE_MS[action];
    if (this.st.openCard) this.st.snoozedCard = { messageId: this.st.openCard.messageId, untilMs: this.st.snoozeUntilMs };
    return this.st.snoozeUntilMs;
  }

  /** Whether the card is the urgent reminder's fresh card that may get its one buzz (not one already buzzed). */
  mayEscalate(occurrenceMs: number): boolean {
    const card = this.st.openCard;
    return card !== undefined && card.occurrenceMs === occurrenceMs && !this.st.escalated?.includes(occurrenceMs);
  }

  escalated(occurrenceMs: number): void {
    push((this.st.escalated ??= []), occurrenceMs);
  }

  /** A cancel while a snoozed card is out: that card (not the live one) must say cancelled too. */
  snoozedCardToCancel(): string | undefined {
    const snoozed = this.st.snoozedCard;
    return snoozed && snoozed.messageId !== this.st.openCard?.messageId ? snoozed.messageId : undefined;
  }

  /** Where a notice about the reminder itself goes: the chat it was set in (an open_id is the user's DM). */
  chatTarget(): { receiveIdType: 'open_id' | 'chat_id'; receiveId: string } {
    const chatId = this.input.chatId;
    return chatId.startsWith('ou_') ? { receiveIdType: 'open_id', receiveId: chatId } : { receiveIdType: 'chat_id', receiveId: chatId };
  }

  /** What the Temporal UI shows (ids, counts and times only). */
  details(state: string): string {
    return (
      `State: ${state}. Next fire: ${this.nextFire !== undefined ? formatForUi(this.nextFire, this.input.timezone) : 'none'}; fired ${this.st.fired}, late ${this.st.lateOccurrences.length}` +
      (this.awaitingAuthSince !== undefined ? `; waiting for sign-in since ${new Date(this.awaitingAuthSince).toISOString()}` : '') +
      '.'
    );
  }

  /** The reminderState query's answer. */
  snapshot(): ReminderWorkflowState {
    const st = this.st;
    return {
      reminderId: this.input.reminderId,
      ...(this.nextFire !== undefined ? { nextFireAtMs: this.nextFire } : {}),
      fired: st.fired,
      firedOccurrences: [...st.firedOccurrences],
      lateOccurrences: [...st.lateOccurrences],
      ...(st.openCard ? { openCardOccurrenceMs: st.openCard.occurrenceMs } : {}),
      ...(this.awaitingAuthSince !== undefined ? { awaitingAuthSince: this.awaitingAuthSince } : {}),
      loginCards: st.loginCards,
      cancelled: this.cancelled,
      answered: [...st.answered],
      rescheduled: [...(st.rescheduled ?? [])],
      ...(this.linked ? { eventStartMs: this.eventStart(), eventMoves: st.eventMoves ?? 0, droppedForEvent: this.droppedForEvent } : {}),
      ...(this.missingScopes ? { missingScopes: this.missingScopes } : {}),
      ...(st.escalated?.length ? { escalated: [...st.escalated] } : {}),
    };
  }
}
