-- The PostgreSQL shape of every table in server/store/database.ts (its MIGRATIONS 1–9, final state):
-- same columns, same CHECKs, ms timestamps as bigint, BLOB as bytea, 0/1 flags as boolean.
-- Written to be distributed (docs/scaling.md): each table's key starts with the column it is
-- sharded by, so every request-path statement names one shard.
--
--   by the mobile's keyed hash : beneficiaries (hash-partitioned here, 16 partitions)
--   by session id              : sessions, audit_events, webhook_events, webhook_attempts (colocated)
--   by their own key           : me_sign_ins (id), session_links (link_hash), rate_counters (key),
--                                beneficiary_ids (id; import path only)
--   small reference tables     : clients, api_keys, client_texts, vaccine_schedules, webhook_sweep
--
-- Foreign keys dropped against the SQLite schema, and why:
--   sessions.client_id → clients: every session insert would take a KEY SHARE lock on its client's
--     row, so the busiest client's single row is share-locked by thousands of concurrent inserts a
--     second (MultiXact churn), and on CockroachDB/YugabyteDB it is a remote read per insert. The
--     request path checks the client (requireActiveClient) before it inserts; clients are disabled,
--     never deleted.
--   session_links.session_id → sessions (ON DELETE CASCADE): a link is found by its hash, so it is
--     sharded by link_hash, and its session lives on another shard. A link now carries its session's
--     expires_at and is pruned by it, which is what the cascade did.
-- Kept: api_keys and client_texts → clients (reference to reference, admin path only) and
-- webhook_attempts → webhook_events (both sharded by session_id: the FK stays on one shard).

CREATE TABLE vaccine_schedules (
  vaccine text PRIMARY KEY,
  primary_doses integer NOT NULL CHECK (primary_doses > 0)
);

-- The registry, by the mobile's keyed hash: a lookup (WHERE mobile_hash = $1) reads one partition.
-- A primary key must contain the partition key, hence (mobile_hash, id).
CREATE TABLE beneficiaries (
  mobile_hash bytea NOT NULL,
  id text NOT NULL,
  name text NOT NULL,
  name_key text NOT NULL,
  vaccine text,
  doses integer NOT NULL CHECK (doses >= 0),
  last_dose_date text,
  PRIMARY KEY (mobile_hash, id)
) PARTITION BY HASH (mobile_hash);

DO $$
BEGIN
  FOR i IN 0..15 LOOP
    EXECUTE format('CREATE TABLE beneficiaries_p%s PARTITION OF beneficiaries FOR VALUES WITH (MODULUS 16, REMAINDER %s)',
                   lpad(i::text, 2, '0'), i);
  END LOOP;
END
$$;

-- SQLite's `id PRIMARY KEY` (one record per beneficiary id, whichever mobile) cannot be a unique
-- index on a table sharded by mobile. This directory, sharded by id, keeps that guarantee: an
-- import that moves an id to another mobile finds and deletes the old row through it. Only
-- `registry import` touches it (a cross-shard write there is fine); the request path never does.
CREATE TABLE beneficiary_ids (
  id text PRIMARY KEY,
  mobile_hash bytea NOT NULL
);

CREATE TABLE clients (
  id text PRIMARY KEY,
  name text NOT NULL,
  purpose text NOT NULL,
  allowed_origins text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'disabled')),
  created_at bigint NOT NULL,
  widget_sessions boolean NOT NULL DEFAULT true,
  webhook_url text,
  webhook_secret bytea,
  webhook_previous_secret bytea,
  webhook_previous_until bigint
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES clients (id),
  key_hash bytea NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  revoked_at bigint
);

CREATE TABLE client_texts (
  client_id text NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  lang text NOT NULL CHECK (lang IN ('hi', 'bn', 'gu', 'kn', 'ml', 'mr', 'or', 'pa', 'ta', 'te', 'as')),
  name text,
  purpose text,
  PRIMARY KEY (client_id, lang)
);

-- Every state change is a compare-and-set `UPDATE … WHERE id = $1 AND state IN (…)`: one row, one shard.
CREATE TABLE sessions (
  id text PRIMARY KEY,
  client_id text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('widget', 'server')),
  origin text,
  purpose text NOT NULL,
  nonce text,
  state text NOT NULL CHECK (state IN ('created', 'otp_sent', 'verified', 'completed', 'denied', 'locked', 'expired')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  mobile_hash bytea,
  name_hash bytea,
  person_fixed_by text CHECK (person_fixed_by IN ('backend', 'citizen')),
  otp_hash bytea,
  otp_sha256_hash bytea,
  otp_sent_at bigint,
  otp_expires_at bigint,
  sends integer NOT NULL DEFAULT 0,
  failed_attempts integer NOT NULL DEFAULT 0,
  vaccination_status smallint CHECK (vaccination_status IN (0, 1, 2)),
  name_matched boolean,
  subject text,
  consent_ticket_hash bytea,
  ticket_holder text CHECK (ticket_holder IN ('frame', 'backend')),
  name_tries integer NOT NULL DEFAULT 0,
  token text,
  token_jti text,
  completed_at bigint
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Sharded by session_id with its session, so the decision, its audit record and its webhook event
-- commit on one shard. A person's history (by subject) reads every shard: that is the citizen's
-- own history page, not the check's request path.
CREATE TABLE audit_events (
  session_id text NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  at bigint NOT NULL,
  client_id text NOT NULL,
  purpose text NOT NULL,
  event text NOT NULL CHECK (event IN ('allow', 'deny')),
  vaccination_status smallint CHECK (vaccination_status IN (0, 1, 2)),
  subject text,
  token_jti text,
  PRIMARY KEY (session_id, id),
  -- One decision per session, as the state machine already ensures: with the live session state in
  -- Redis (docs/scaling.md), this is the durable compare-and-set that lets only one token stand.
  UNIQUE (session_id)
);
CREATE INDEX audit_by_subject ON audit_events (subject, at DESC, id DESC);

-- Same sliding sub-window rows as SQLite. Sharded by key, each mobile's counters (keys that embed
-- its keyed hash) land on one shard; an all-or-none hitAll over several keys is the one
-- request-path write that spans shards (docs/scaling.md: why the counters go to Redis).
CREATE TABLE rate_counters (
  key text NOT NULL,
  window_start bigint NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (key, window_start)
);

-- One terminal event per session: session_id is the key (and the shard), id the public event id.
CREATE TABLE webhook_events (
  session_id text PRIMARY KEY,
  id text NOT NULL,
  client_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('session.completed', 'session.denied', 'session.expired', 'session.failed')),
  payload text NOT NULL,
  created_at bigint NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  claim text,
  give_up_at bigint NOT NULL,
  finished_at bigint,
  last_result text,
  UNIQUE (session_id, id)
);
CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_events_by_created ON webhook_events (created_at);
CREATE INDEX webhook_events_by_client ON webhook_events (client_id, created_at);
CREATE INDEX webhook_events_by_id ON webhook_events (id);

CREATE TABLE webhook_attempts (
  session_id text NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  event_id text NOT NULL,
  attempt integer NOT NULL,
  at bigint NOT NULL,
  duration_ms integer NOT NULL,
  status_code integer,
  error text,
  PRIMARY KEY (session_id, id),
  FOREIGN KEY (session_id, event_id) REFERENCES webhook_events (session_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_by_event ON webhook_attempts (session_id, event_id);

CREATE TABLE webhook_sweep (
  id integer PRIMARY KEY CHECK (id = 1),
  swept_to bigint NOT NULL
);
INSERT INTO webhook_sweep (id, swept_to) VALUES (1, (extract(epoch FROM now()) * 1000)::bigint);

-- SQLite's UNIQUE (session_id) would span shards here; one link per session holds anyway: only the
-- request that creates a session makes its link.
CREATE TABLE session_links (
  link_hash bytea PRIMARY KEY,
  session_id text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX session_links_by_expiry ON session_links (expires_at);

CREATE TABLE me_sign_ins (
  id text PRIMARY KEY,
  mobile_hash bytea NOT NULL,
  state text NOT NULL CHECK (state IN ('code_sent', 'signed_in', 'locked', 'signed_out')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  otp_hash bytea,
  otp_sent_at bigint NOT NULL,
  otp_expires_at bigint NOT NULL,
  sends integer NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0,
  secret_hash bytea
);
CREATE INDEX me_sign_ins_by_expiry ON me_sign_ins (expires_at);
