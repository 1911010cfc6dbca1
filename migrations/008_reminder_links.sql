-- A meeting-linked reminder names its event (and its offset), so deleting or moving the meeting through the bot
-- finds its reminders in the same turn (activities/reminders.ts, followMeeting). Rows from before stay null: their
-- workflows still follow the meeting on their own (the periodic re-read).
-- last_fired_at: when a one-off last went off, so list_reminders can say so while its card waits for a click.
alter table reminders add column if not exists event_id varchar(128);
alter table reminders add column if not exists minutes_before integer;
alter table reminders add column if not exists last_fired_at bigint;
create index if not exists idx_reminders_open_id_event on reminders(open_id, event_id) where event_id is not null;
