/**
 * How to reverse one change the agent made, captured from Lark's answers at the time of the change (so an
 * Undo restores what WAS, not what the model thinks was). Pure data: it travels in the per-user workflow.
 */
export type UndoPlan =
  | { op: 'delete_event'; eventId: string }
  /** Put the event back as it was before an update. */
  | { op: 'restore_event'; eventId: string; summary?: string; startSec?: string; endSec?: string; timezone?: string }
  /**
   * Create the deleted event again: title, time, description and attendees (open_ids) as Lark had them; its
   * meeting rooms (room_ids) asked again, and the linked reminders the deletion cancelled set again (their ids:
   * the reminder index keeps their words, so none travel here). Plans from before these two fields restore neither.
   */
  | {
      op: 'recreate_event';
      summary?: string;
      description?: string;
      startSec: string;
      endSec: string;
      timezone?: string;
      attendeeOpenIds: string[];
      roomIds?: string[];
      reminderIds?: string[];
    }
  | { op: 'delete_task'; taskGuid: string }
  | { op: 'uncomplete_task'; taskGuid: string };
