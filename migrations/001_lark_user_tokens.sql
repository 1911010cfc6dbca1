-- The seed's per-user token table. Token columns hold ciphertext once the OAuth feature lands.
create table if not exists lark_user_tokens (
  id serial primary key,
  open_id varchar(64) unique not null,
  user_id varchar(64),
  access_token text not null,
  refresh_token text not null,
  expires_at bigint not null, -- Unix milliseconds
  primary_calendar_id varchar(255),
  scopes text,
  created_at timestamp default now(),
  updated_at timestamp default now()
);
create index if not exists idx_lark_user_tokens_open_id on lark_user_tokens(open_id);
