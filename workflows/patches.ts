/**
 * The per-user run's patches, decided where replay cannot move them (docs/upgrades.md, "Patch epochs").
 *
 * `patched(id)` during replay is true only if the id's marker is in the workflow task being replayed or the one the
 * SDK looks ahead to. Code that runs right after a local activity can run one task EARLIER on replay than it first
 * did: a query that comes with a workflow task makes the SDK answer it and complete that task before handing the
 * workflow a local activity result it already holds (the result then reaches the workflow in a forced new task),
 * while a replay hands the result over in the first task. A `patched()` asked there first finds no marker and
 * returns false, and the run fails on "patch marker encountered ... but there is no corresponding change command".
 * The OAuth page asks the run's state right after its sign-in signal, so a sign-in followed by a quick
 * authorization check met it (test/query-split-replay.test.ts).
 *
 * So a run asks ONE marker, the newest epoch, first thing in its first task, before any local activity: an epoch
 * switches on every patch listed for it (and for the epochs before it) for the whole run. A run that started before
 * epochs (or before a patch's epoch) asks that patch where it always did, so its history replays as it ran.
 */
import { patched } from '@temporalio/workflow';

export const PATCH_BOUNDED_QUEUE = 'bounded-queue-with-refusal-notice';
export const PATCH_STREAMED_ANSWERS = 'streamed-answer-card';
export const PATCH_WAIT_ACROSS_CONTINUE_AS_NEW = 'sign-in-wait-across-continue-as-new';
export const PATCH_LOGIN_CARD_CLOSED = 'sign-in-card-closed-when-wait-ends';
export const PATCH_EARLIER_LOGIN_CARDS_CLOSED = 'sign-in-earlier-cards-closed-when-wait-ends';
export const PATCH_TURN_LOG_LOCAL = 'turn-log-local';
export const PATCH_CONFIRM_UNASKED_WRITES = 'confirm-writes-unasked-after-reading-others-content';
export const PATCH_WORKING_WHEN_SLOW = 'agent-state-working-when-slow';
/** Only ever asked by a run from before epochs replaying its history (see agent-loop.ts). */
export const PATCH_FIRST_STEP_LOCAL = 'first-model-step-local';

/**
 * Epoch markers, oldest first, each with the patches it switches on. Append a new epoch (never edit one) when a
 * release adds patches; a run starting on that release asks only the newest marker.
 */
const EPOCHS: ReadonlyArray<{ id: string; patches: readonly string[] }> = [
  {
    id: 'user-patch-epoch-1',
    patches: [
      PATCH_BOUNDED_QUEUE,
      PATCH_STREAMED_ANSWERS,
      PATCH_WAIT_ACROSS_CONTINUE_AS_NEW,
      PATCH_LOGIN_CARD_CLOSED,
      PATCH_EARLIER_LOGIN_CARDS_CLOSED,
      PATCH_TURN_LOG_LOCAL,
      PATCH_CONFIRM_UNASKED_WRITES,
      PATCH_WORKING_WHEN_SLOW,
    ],
  },
];

export class RunPatches {
  private constructor(
    /** 0: the run began before epochs; n: it recorded EPOCHS[n - 1]'s marker in its first task. */
    readonly epoch: number,
    private readonly on_: ReadonlySet<string>,
  ) {}

  /** Call first in the workflow function, before anything awaits: its first task is the only one replay cannot move. */
  static atRunStart(): RunPatches {
    for (let e = EPOCHS.length; e >= 1; e--) {
      if (patched(EPOCHS[e - 1]!.id)) return new RunPatches(e, new Set(EPOCHS.slice(0, e).flatMap((x) => x.patches)));
    }
    return new RunPatches(0, new Set());
  }

  /** Whether the patch's new path applies: always, in a run of its epoch or later; otherwise asked here, as before. */
  on(id: string): boolean {
    return this.on_.has(id) || patched(id);
  }
}
