-- Per-user intake limit (src/storage/intake-limits.ts): a token bucket per sender, and one decision per Lark
-- message, so a retried or redelivered message is decided the same way again. Refused messages wait here for
-- the one notice that names them (notice_id: the message whose reply named them).
create table if not exists intake_buckets (
  open_id varchar(64) primary key,
  tokens double precision not null,
  at_ms bigint not null
);

create table if not exists intake_decisions (
  message_id varchar(128) primary key,
  open_id varchar(64) not null,
  chat_id varchar(128) not null,
  allowed boolean not null,
  -- The refusal whose event run sends the notice for this chat (one open at a time per user and chat).
  notice_owner boolean not null default false,
  notice_id varchar(128),
  preview text,
  at_ms bigint not null
);
create index if not exists intake_decisions_waiting on intake_decisions (open_id, chat_id) where not allowed and notice_id is null;
create index if not exists intake_decisions_age on intake_decisions (at_ms);
