-- Reminders: an index for listing, cancelling and the per-user cap. Temporal owns the firing (one workflow
-- per reminder, lark-reminder-<id>); this table never decides when anything fires.
create table if not exists reminders (
  id varchar(64) primary key,
  open_id varchar(64) not null,
  chat_id varchar(128) not null,
  kind varchar(16) not null check (kind in ('reminder', 'agenda')),
  text_sealed text not null, -- the reminder's words, AES-256-GCM bound to the open_id (like tokens)
  lang varchar(4) not null,
  timezone varchar(64) not null,
  schedule jsonb not null,
  status varchar(16) not null default 'active' check (status in ('active', 'done', 'cancelled')),
  next_fire_at bigint, -- Unix milliseconds; null when nothing is scheduled
  fired_count integer not null default 0,
  awaiting_auth boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists idx_reminders_open_id_status on reminders(open_id, status);
