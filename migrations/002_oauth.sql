-- Per-user OAuth: tokens are AES-256-GCM ciphertext (see src/storage/secret-box.ts); refresh expiry and status.
alter table lark_user_tokens add column if not exists refresh_expires_at bigint; -- Unix milliseconds
alter table lark_user_tokens add column if not exists status varchar(16) not null default 'active';
alter table lark_user_tokens add column if not exists name text;
alter table lark_user_tokens add constraint lark_user_tokens_status check (status in ('active', 'revoked'));

-- One row per issued OAuth state: consumed once (single use); holds the PKCE verifier (sealed).
create table if not exists oauth_states (
  nonce varchar(64) primary key,
  open_id varchar(64) not null,
  code_verifier text not null,
  expires_at bigint not null, -- Unix milliseconds
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index if not exists idx_oauth_states_expires on oauth_states(expires_at);
