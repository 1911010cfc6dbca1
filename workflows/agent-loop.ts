/**
 * One user request, end to end, as deterministic workflow code: filter (group mention, non-text, stale),
 * authorization, then the agent loop (model step -> each tool_use as its own activity -> tool_result
 * -> ... -> end_turn), then one reply in the chat. Everything it has done lives in `progress`, so after an
 * authorization wait it resumes exactly where it stopped instead of starting over.
 *
 * Honesty by construction: every write a tool made (or was refused, cancelled, failed) is recorded in
 * `progress.effects` from the tool RESULT, and the answer ends with a footer built from those records only.
 * A model answer that claims a change no tool made is replaced.
 */
import { ActivityFailure, ApplicationFailure, patched, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';
import { READS_OTHERS_CONTENT, userAskedFor } from '../src/agent/others-content';
import { buildSystemPrompt } from '../src/agent/system-prompt';
import { confirmDetails, describeCall, eventToInspect, needsConfirmation, roomToBook, toolStage, toolSummary, validateToolInput, WRITE_TOOLS, type ToolCall } from '../src/tools';
import { findTimeText } from '../src/tools/calendar/wording';
import { confirmQuestion, type ConfirmDetails, type ConfirmOutcome } from '../src/cards/confirm-card';
import { formatWhen } from '../src/i18n/dates';
import { detectLanguage, t, type Lang } from '../src/i18n/language';
import { apology, claimsAChange, effectsFooter, messages, roomWords, type EffectRecord, type FailureReason, type ToolEffect } from '../src/i18n/messages';
import type { UserMessage } from '../src/lark/event-types';
import { readLarkFailure } from '../src/lark/errors';
import { LarkFailureType } from '../src/lark/failure-types';
import { LLM_FAILURE } from '../src/llm/failure-types';
import { boundTranscript } from '../src/llm/transcript';
import type { AssistantBlock, ConversationMessage, ToolResultBlock, ToolUseBlock } from '../src/llm/types';
import { auth as authActivities, callModel, checkSlot, inspectEvent, inspectRoom, lark, logAudit, logTurn, logTurnLocal, prepareRequest, runTool } from './activity-proxies';
import { slotCard, slotResolvedCard } from '../src/cards/slot-card';
import type { EventFacts, FindTimeResult } from '../src/agent/tool-io';
import { escapeLarkMdLine } from '../src/cards/lark-md';
import { memoryMessages, remember, type MemoryByChat } from './chat-memory';
import type { RequestStatus } from './status-message';
import type { AnswerCard, AnswerCardState } from './answer-card';

export type { ConfirmOutcome };

/** Any failure of the model call, retryable or not, is "the AI service" to the user. */
const LLM_FAILURE_TYPES = new Set<string>(Object.values(LLM_FAILURE));

export interface RequestProgress {
  /** Model calls made so far. */
  step: number;
  prepared?: { text: string; userName?: string; timezone?: string };
  /** The language of the user's message: every sentence of this turn uses it. */
  lang?: Lang;
  /** The turn's clock for the system prompt: the same for every step, so the prompt cache hits. */
  startedAt?: number;
  messages?: ConversationMessage[];
  /** tool_use blocks of the last model step and the results gathered for them so far. */
  pendingTools?: ToolUseBlock[];
  toolResults?: ToolResultBlock[];
  toolsUsed?: string[];
  /** Writes done or not done, from tool results: the footer of the answer and of an apology. */
  effects?: EffectRecord[];
  usage?: { input: number; output: number; cacheRead: number; cacheCreation: number };
  /** The streamed answer card, once created and sent (streamed answers only). */
  answerCard?: AnswerCardState;
}

/** `authorized` is set when this request checked the user's authorization (filtered ones do not). */
export type RequestOutcome = { kind: 'done'; authorized?: true } | { kind: 'needs_auth'; missingScopes: string[] };

export interface RequestEnv {
  memory: MemoryByChat;
  timezone: string;
  stepCap: number;
  /** Asks the user with a Confirm / Cancel card and waits durably for the click (or a newer message). */
  confirm(msg: UserMessage, key: string, details: ConfirmDetails): Promise<ConfirmOutcome>;
  /** Posts (or, with cardMessageId, replaces) a card and waits for a click on it: its choice, 'expired' or 'superseded'. */
  ask(msg: UserMessage, key: string, card: Record<string, unknown>, cardMessageId?: string): Promise<{ choice: string; cardMessageId: string }>;
  /** Whether a confirmation card of this user waits in another chat (the answer says so). */
  waitingElsewhere(): boolean;
  /** The request's status message (shown only when it is slow), or its streamed answer card. */
  status: RequestStatus;
  /** Streamed answers (patched: see user-workflow.ts): the card the model steps stream into and the answer ends in. */
  answerCard?: AnswerCard;
  /** After an answer that changed something: post its Undo card (never throws). */
  offerUndo(msg: UserMessage, changes: ToolEffect[], lang: Lang): Promise<void>;
  /** Write each change as an audit row (only when an audit table is configured: no activity otherwise). */
  audit: boolean;
}

export async function handleRequest(msg: UserMessage, progress: RequestProgress, env: RequestEnv): Promise<RequestOutcome> {
  if (!progress.prepared) {
    const prepared = await prepareRequest(msg);
    if (prepared.action === 'ignore') return { kind: 'done' };
    const lang = prepared.lang ?? detectLanguage(prepared.text);
    if (msg.stale) {
      await deliver(msg, 'stale', t(lang, messages.stale));
      return { kind: 'done' };
    }
    if (msg.messageType !== 'text' && msg.messageType !== 'post') {
      await deliver(msg, 'non-text', t(lang, messages.nonText));
      return { kind: 'done' };
    }
    progress.prepared = { text: prepared.text, ...(prepared.userName ? { userName: prepared.userName } : {}), ...(prepared.timezone ? { timezone: prepared.timezone } : {}) };
    progress.lang = lang;
  }
  const lang = progress.lang ?? detectLanguage(progress.prepared.text);
  // The user's own zone (set_timezone) for this turn's dates, tools and reminders; else the deployment's.
  if (progress.prepared.timezone) env = { ...env, timezone: progress.prepared.timezone };
  env.status.start(lang);

  if (!progress.messages) {
    const auth = await authActivities.checkAuthorization(msg.openId);
    if (!auth.authorized) return { kind: 'needs_auth', missingScopes: auth.missingScopes };
    progress.startedAt = Date.now();
    // Memory is context, never the request: older turns come first, the new message is the last user
    // content, alone.
    progress.messages = [...memoryMessages(env.memory[msg.chatId]), { role: 'user', content: progress.prepared.text || '(empty message)' }];
    progress.toolsUsed = [];
    progress.effects = [];
    progress.usage = { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 };
  }
  const messages_ = progress.messages;
  const system = buildSystemPrompt({ now: new Date(progress.startedAt!), timeZone: env.timezone, userName: progress.prepared.userName, lang });

  for (;;) {
    if (progress.pendingTools) {
      const stop = await runPendingTools(msg, progress, env, lang);
      if (stop === 'superseded') {
        // The user moved on before answering the card: say what was not done, without another model step.
        await answer(msg, progress, env, lang, '');
        return { kind: 'done', authorized: true };
      }
      if (stop) return stop;
      messages_.push({ role: 'user', content: progress.toolResults! });
      progress.pendingTools = undefined;
      progress.toolResults = undefined;
    }
    if (progress.step >= env.stepCap) {
      await answer(msg, progress, env, lang, t(lang, messages.stepCap(env.stepCap)));
      return { kind: 'done', authorized: true };
    }
    progress.step++;
    env.status.set({ kind: 'thinking' });
    const stream = env.answerCard ? await env.answerCard.target() : undefined;
    const result = await callModel(progress.step)({ system, messages: boundTranscript(messages_), ...(stream ? { stream } : {}) });
    const usage = progress.usage!;
    usage.input += result.usage.input_tokens;
    usage.output += result.usage.output_tokens;
    usage.cacheRead += result.usage.cache_read_input_tokens;
    usage.cacheCreation += result.usage.cache_creation_input_tokens;
    messages_.push({ role: 'assistant', content: result.content });
    const toolUses = result.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
    if (result.stopReason === 'tool_use' && toolUses.length) {
      progress.pendingTools = toolUses;
      progress.toolResults = [];
      continue;
    }
    await answer(msg, progress, env, lang, textOf(result.content));
    return { kind: 'done', authorized: true };
  }
}

/**
 * The answer: the model's prose, corrected when it claims a change no tool made, then the footer built
 * from tool results, then a note when a card waits in another chat.
 */
async function answer(msg: UserMessage, progress: RequestProgress, env: RequestEnv, lang: Lang, modelText: string): Promise<void> {
  const records = progress.effects ?? [];
  const footer = effectsFooter(records, env.timezone, lang, progress.startedAt);
  let text = modelText;
  if (!records.some((r) => r.outcome === 'done') && claimsAChange(text)) text = t(lang, messages.unbackedClaim);
  if (!text && !footer) text = t(lang, messages.done);
  const parts = [text, footer, env.waitingElsewhere() ? t(lang, messages.otherChatWaiting) : ''].filter(Boolean);
  const full = parts.join('\n\n');
  // A streamed answer ends in its card (exactly this text); otherwise, or when the card fails, one text answer.
  if (!(env.answerCard?.open && (await env.answerCard.finish(full)))) {
    await env.status.close('done');
    await deliver(msg, 'answer', full);
  }
  const undoable = records.flatMap((r) => (r.outcome === 'done' && r.effect.undo ? [r.effect] : []));
  if (undoable.length) await env.offerUndo(msg, undoable, lang);
  await finishTurn(msg, progress, env, full);
}

/**
 * Reply to the message; when Lark refuses the reply itself (the message was recalled or cannot be replied
 * to), post the same text in the chat instead, so the user still gets the one answer.
 */
async function deliver(msg: UserMessage, step: string, text: string): Promise<void> {
  try {
    await lark.replyToMessage({ messageId: msg.messageId, step, text, replyInThread: Boolean(msg.threadId) });
  } catch (err) {
    const f = readLarkFailure(err);
    if (!(err instanceof ActivityFailure) || f?.type !== LarkFailureType.InvalidInput) throw err;
    await lark.sendMessage({ sourceMessageId: msg.messageId, step: `${step}-in-chat`, receiveIdType: 'chat_id', receiveId: msg.chatId, text });
  }
}

/**
 * Contains a failed request: one apology in the user's language saying what could not be done and what was
 * changed before it failed. Returns whether the apology was delivered; never throws for an activity failure.
 * A non-Temporal error is a bug in workflow code: rethrown, so the workflow task fails and is retried.
 */
export async function contain(msg: UserMessage, progress: RequestProgress, err: unknown, timezone: string, status: RequestStatus): Promise<boolean> {
  if (!(err instanceof TemporalFailure)) throw err;
  await status.close('failed');
  const lang = progress.lang ?? detectLanguage(msg.text);
  const footer = effectsFooter(progress.effects ?? [], timezone, lang, progress.startedAt);
  const request = (progress.prepared?.text ?? msg.text ?? '').replace(/\s+/g, ' ').trim();
  const text = apology(lang, request.length > 80 ? `${request.slice(0, 77)}...` : request, failureReason(err), footer);
  try {
    await deliver(msg, 'apology', text);
    return true;
  } catch {
    return false;
  }
}

function failureReason(err: TemporalFailure): FailureReason {
  const lark_ = readLarkFailure(err);
  if (lark_?.type === LarkFailureType.PermissionDenied) return 'lark_permission';
  if (lark_?.type === LarkFailureType.InvalidInput) return 'lark_refused';
  if (lark_) return 'unavailable';
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 6; depth++, cur = (cur as Error).cause) {
    if (cur instanceof ApplicationFailure && cur.type && LLM_FAILURE_TYPES.has(cur.type)) return 'model';
    if (cur instanceof ActivityFailure && cur.activityType === 'callModel') return 'model';
    if (cur instanceof TimeoutFailure) return 'unavailable';
  }
  return err instanceof ActivityFailure ? 'unavailable' : 'internal';
}

/** Runs the tool calls not yet answered; returns an outcome only when the request must pause or stop. */
async function runPendingTools(msg: UserMessage, progress: RequestProgress, env: RequestEnv, lang: Lang): Promise<RequestOutcome | 'superseded' | undefined> {
  const results = progress.toolResults!;
  const effects = (progress.effects ??= []);
  for (const use of progress.pendingTools!) {
    if (results.some((r) => r.tool_use_id === use.id)) continue;
    const valid = validateToolInput(use.name, use.input);
    if (!valid.ok) {
      results.push({ type: 'tool_result', tool_use_id: use.id, content: valid.error, is_error: true });
      continue;
    }
    const call = valid.call;
    let what = describeCall(call, env.timezone, lang);
    try {
      // Inside the try: the event is read as the user, so an expired grant means "sign in", not a crash.
      env.status.set(toolStage(call));
      const facts = await inspect(msg, call, env.timezone);
      if (facts?.summary) what = `${what} “${facts.summary}”`;
      // A room to book: its name and place for the card (a tool no older history called with a room).
      const roomId = roomToBook(call);
      const room = roomId ? await inspectRoom({ roomId }) : undefined;
      // Content others wrote was read this turn and the user's words did not ask for this kind of write: the
      // user confirms it on a card (patched: a turn replaying from before asks the old way).
      const unasked =
        WRITE_TOOLS.has(call.name) &&
        (progress.toolsUsed ?? []).some((n) => READS_OTHERS_CONTENT.has(n as never)) &&
        !userAskedFor(call.name, progress.prepared?.text ?? '') &&
        patched(PATCH_CONFIRM_UNASKED_WRITES);
      if (unasked || needsConfirmation(call, { eventHasOtherAttendees: facts?.othersAttend ?? true })) {
        env.status.set({ kind: 'confirm' });
        const details = confirmDetails(call, env.timezone, lang, facts, what);
        if (roomId) details.room = room?.found && room.name ? `${room.name}${room.place ? ` (${room.place})` : ''}` : roomId;
        const decision = await env.confirm(msg, `${msg.messageId}:${use.id}`, unasked ? { ...details, unasked: true } : details);
        if (decision !== 'confirm') {
          effects.push({ outcome: 'not_done', tool: call.name, what, why: decision === 'cancel' ? 'cancelled' : decision });
          results.push({
            type: 'tool_result',
            tool_use_id: use.id,
            content:
              decision === 'cancel'
                ? 'The user pressed Cancel: this was NOT done. Do not do it, and do not say it was done.'
                : decision === 'expired'
                  ? 'The user did not confirm in time: this was NOT done.'
                  : 'The user sent a new message instead of confirming: this was NOT done.',
          });
          if (decision === 'superseded') return 'superseded';
          continue;
        }
      }
      env.status.set(toolStage(call));
      const out = await runTool(toolSummary(call))({
        openId: msg.openId,
        sourceMessageId: msg.messageId,
        toolUseId: use.id,
        name: use.name,
        input: use.input,
        timezone: env.timezone,
        nowMs: Date.now(),
        chatId: msg.chatId,
        lang,
      });
      progress.toolsUsed!.push(use.name);
      if (call.name === 'find_time' && !out.isError) {
        const found = parseFindTime(out.content);
        if (found?.slots.length) {
          const picked = await offerSlots(msg, use.id, progress, env, lang, found);
          results.push({ type: 'tool_result', tool_use_id: use.id, content: picked.content });
          if (picked.superseded) return 'superseded';
          continue;
        }
      }
      if (WRITE_TOOLS.has(call.name)) {
        if (!out.isError && out.effect) effects.push({ outcome: 'done', effect: out.effect });
        else if (out.isError) effects.push({ outcome: 'not_done', tool: call.name, what, why: 'refused' });
      }
      results.push({ type: 'tool_result', tool_use_id: use.id, content: out.content, ...(out.isError ? { is_error: true } : {}) });
    } catch (err) {
      const failure = readLarkFailure(err);
      if (failure?.type === LarkFailureType.UserAuthRequired || (failure?.type === LarkFailureType.PermissionDenied && failure.details.scopeOwner === 'user')) {
        return { kind: 'needs_auth', missingScopes: failure.details.scopes ?? [] };
      }
      if (!(err instanceof TemporalFailure)) throw err;
      if (WRITE_TOOLS.has(call.name)) effects.push({ outcome: 'not_done', tool: call.name, what, why: 'failed' });
      results.push({ type: 'tool_result', tool_use_id: use.id, content: `The tool failed: ${failure?.message ?? 'the service is unavailable'}. Nothing was changed by this call. Tell the user, and suggest trying again later.`, is_error: true });
    }
  }
  return undefined;
}

/** What the user will recognise about an event before it is changed or deleted (read with their token). */
async function inspect(msg: UserMessage, call: ToolCall, timezone: string): Promise<EventFacts | undefined> {
  const eventId = eventToInspect(call);
  if (eventId === undefined) return undefined;
  return inspectEvent({ openId: msg.openId, eventId, timezone });
}

/** Patch ids (docs/upgrades.md). */
const PATCH_CONFIRM_UNASKED_WRITES = 'confirm-writes-unasked-after-reading-others-content';
const PATCH_TURN_LOG_LOCAL = 'turn-log-local';

const safeJson = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

function parseFindTime(content: string): FindTimeResult | undefined {
  try {
    const v = JSON.parse(content) as FindTimeResult;
    return Array.isArray(v.slots) && Array.isArray(v.attendees) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The find-a-time card: one button per slot; the click is the confirmation. The slot is re-checked against
 * everyone's free/busy, then booked with the attendees, or the card says it was just taken and offers the
 * rest. What the model reads back says exactly what happened.
 */
async function offerSlots(msg: UserMessage, toolUseId: string, progress: RequestProgress, env: RequestEnv, lang: Lang, found: FindTimeResult): Promise<{ content: string; superseded?: true }> {
  const tz = env.timezone;
  const effects = (progress.effects ??= []);
  const people = found.attendees.map((a) => a.name);
  const attendeeOpenIds = found.attendees.map((a) => a.open_id);
  let remaining = found.slots.map((slot, index) => ({ ...slot, index }));
  let cardMessageId: string | undefined;
  let notice: string | undefined;
  // A slot with a room names it (Lark's room names are others' text: escaped, short).
  const label = (x: { startMs: number; endMs: number; room?: { name: string } }) =>
    x.room ? t(lang, findTimeText.withRoom(formatWhen(x.startMs, x.endMs, tz, lang), escapeLarkMdLine(x.room.name, 60))) : formatWhen(x.startMs, x.endMs, tz, lang);
  const close = (text: string) => (cardMessageId ? lark.updateCard({ messageId: cardMessageId, card: slotResolvedCard(lang, text) }).catch(() => undefined) : undefined);
  for (let round = 0; ; round++) {
    env.status.set({ kind: 'confirm' });
    const key = `${msg.messageId}:${toolUseId}:${round}`;
    const options = remaining.map((x) => ({ index: x.index, label: label(x) }));
    const asked = await env.ask(msg, key, slotCard(key, msg.openId, lang, people, options, notice), cardMessageId);
    cardMessageId = asked.cardMessageId;
    const slot = remaining.find((x) => String(x.index) === asked.choice);
    if (!slot) {
      const why = asked.choice === 'none' ? 'none' : asked.choice === 'superseded' ? 'superseded' : 'expired';
      await close(t(lang, why === 'none' ? findTimeText.choseNone : why === 'superseded' ? messages.superseded : findTimeText.expired));
      const content = JSON.stringify({
        outcome: why,
        note:
          why === 'none'
            ? 'The user chose none of the proposed times on the card: nothing was booked. Ask what would work instead.'
            : why === 'superseded'
              ? 'The user sent a new message instead of picking a time: nothing was booked.'
              : 'The user did not pick a time in time: nothing was booked.',
      });
      // Not booked, said in the footer like any write that did not happen (never a bare "Done.").
      if (why !== 'none') {
        const what = t(lang, people.length ? findTimeText.meetingWith(people.join(', ')) : findTimeText.meeting);
        // find_time: the footer says "before picking a time", not "before confirming" (there was nothing to confirm).
        effects.push({ outcome: 'not_done', tool: 'find_time', what, why });
      }
      return why === 'superseded' ? { content, superseded: true } : { content };
    }
    env.status.set(people.length ? { kind: 'availability', people } : { kind: 'calendar' });
    const check = await checkSlot({
      openId: msg.openId,
      attendeeOpenIds,
      startMs: slot.startMs,
      endMs: slot.endMs,
      timezone: tz,
      ...(slot.room ? { roomId: slot.room.room_id, roomName: slot.room.name } : {}),
    });
    if (!check.free) {
      remaining = remaining.filter((x) => x !== slot);
      const who = [...new Set(check.conflicts.map((c) => escapeLarkMdLine(c.who, 60)))].join(', ');
      const busyPeople = check.conflicts.some((c) => !c.room);
      notice =
        slot.room && !busyPeople
          ? t(lang, findTimeText.roomTaken(formatWhen(slot.startMs, slot.endMs, tz, lang), escapeLarkMdLine(slot.room.name, 60)))
          : t(lang, findTimeText.taken(label(slot), who));
      if (!remaining.length) {
        await close(`${notice}\n${t(lang, findTimeText.noneLeft)}`);
        return { content: JSON.stringify({ outcome: 'taken', note: `Every proposed time was taken before the user could book it (last: ${slot.start}, busy: ${who}). Nothing was booked. Offer to search again.` }) };
      }
      continue;
    }
    const title = found.summary ?? t(lang, people.length ? findTimeText.meetingWith(people.join(', ')) : findTimeText.meeting);
    env.status.set({ kind: 'writing', what: 'create_event' });
    const what = t(lang, findTimeText.book(title, label(slot)));
    let booked;
    try {
      booked = await runTool('calendar: book a slot')({
        openId: msg.openId,
        sourceMessageId: msg.messageId,
        toolUseId: `${toolUseId}-book-${slot.index}`,
        name: 'create_event',
        input: { summary: title, start: slot.start.replace(' ', 'T'), end: slot.end.replace(' ', 'T'), attendees: attendeeOpenIds, ...(slot.room ? { room: slot.room.room_id } : {}) },
        timezone: tz,
        nowMs: Date.now(),
      });
    } catch (err) {
      effects.push({ outcome: 'not_done', tool: 'create_event', what, why: 'failed' });
      await close(t(lang, findTimeText.unavailable(label(slot))));
      throw err;
    }
    if (booked.isError || !booked.effect) {
      effects.push({ outcome: 'not_done', tool: 'create_event', what, why: 'refused' });
      await close(t(lang, findTimeText.failed(label(slot))));
      return { content: JSON.stringify({ outcome: 'failed', slot: { start: slot.start, end: slot.end }, note: `The user picked this time, but booking it failed: ${booked.content}. Nothing was booked.` }) };
    }
    effects.push({ outcome: 'done', effect: booked.effect });
    // What the room answered, said on the card too: only an accepted room is booked.
    const roomSaid = booked.effect.room && booked.effect.room.status !== 'accepted' ? t(lang, roomWords[booked.effect.room.status](`“${escapeLarkMdLine(booked.effect.room.name, 60)}”`)).replace(/^; /, '\n') : '';
    await close(t(lang, findTimeText.booked(label(slot))) + roomSaid);
    return {
      content: JSON.stringify({
        outcome: 'booked',
        slot: { start: slot.start, end: slot.end },
        booked: safeJson(booked.content),
        note: booked.effect.room
          ? `The user picked this time on the card and the event is created. Its room answered: ${booked.effect.room.status} (only "accepted" means the room is booked). Tell the user with whom, when, and what the room answered.`
          : 'The user picked this time on the card and it is booked now. Tell the user it is booked (with whom and when).',
      }),
    };
  }
}

async function finishTurn(msg: UserMessage, progress: RequestProgress, env: RequestEnv, answerText: string): Promise<void> {
  remember(env.memory, msg.chatId, progress.prepared?.text ?? '', answerText);
  // Best effort: the reply has gone; logging must never fail the request. Local since `turn-log-local` (a turn
  // replaying from before ran it as a regular activity, and still does).
  try {
    await (patched(PATCH_TURN_LOG_LOCAL) ? logTurnLocal : logTurn)({
      atMs: progress.startedAt ?? Date.now(),
      openId: msg.openId,
      chatId: msg.chatId,
      messageId: msg.messageId,
      question: progress.prepared?.text ?? '',
      answer: answerText,
      toolsUsed: progress.toolsUsed ?? [],
      usage: progress.usage ?? { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    });
  } catch {
    // already logged by the activity; nothing else to do
  }
  const changes = (progress.effects ?? []).flatMap((r) => (r.outcome === 'done' ? [r.effect] : []));
  if (env.audit && changes.length) {
    try {
      await logAudit(
        changes.map((c, index) => ({
          atMs: progress.startedAt ?? Date.now(),
          openId: msg.openId,
          messageId: msg.messageId,
          index,
          undo: false,
          action: `${c.action} ${c.kind}`,
          objectId: c.id,
          ...(c.title ? { title: c.title } : {}),
          ...(c.undo ? { before: c.undo } : {}),
          after: { ...c, undo: undefined },
        })),
      );
    } catch {
      // best effort, like the turn log
    }
  }
}

function textOf(content: AssistantBlock[]): string {
  return content
    .filter((b): b is Extract<AssistantBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('\n')
    .trim();
}

export { confirmQuestion, type ToolEffect };
