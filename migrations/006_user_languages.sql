-- Each user's language (vi or en), the last one their messages said confidently: a message with no language
-- signal (an emoji, a number, a link) is answered in it. Written and read by prepareRequest.
create table if not exists user_languages (
  open_id varchar(64) primary key,
  lang varchar(8) not null,
  updated_at timestamptz not null default now()
);
