-- Each user's time zone, set in chat ("my timezone is Asia/Tokyo"): Lark's contact and authen user objects
-- carry none. Read on every message (prepareRequest); a user without a row uses DEFAULT_TIMEZONE.
create table if not exists user_timezones (
  open_id varchar(64) primary key,
  timezone varchar(64) not null,
  updated_at timestamptz not null default now()
);
