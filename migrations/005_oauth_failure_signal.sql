-- A dead login link (expired or used) tells the user's workflow once: the first hit sets this (an UPDATE ...
-- WHERE failure_signalled_at IS NULL, so one of any number of concurrent hits wins); every later hit only gets
-- the page. A flood of one link once filled a run's history with 10,000 signals (issue 20).
alter table oauth_states add column if not exists failure_signalled_at timestamptz;
