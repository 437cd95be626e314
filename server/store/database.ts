import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateFile, tightenFile } from './private-files.ts';

export type Db = Database.Database;

/** How long a write waits for another process's write lock before it fails (ms). */
export const BUSY_TIMEOUT_MS = 5000;

// Each entry moves the schema one version forward; never edit a shipped entry, append a new one.
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE vaccine_schedules (
    vaccine TEXT PRIMARY KEY,
    primary_doses INTEGER NOT NULL CHECK (primary_doses > 0)
  ) STRICT;

  CREATE TABLE beneficiaries (
    id TEXT PRIMARY KEY,
    mobile_hash BLOB NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    vaccine TEXT,
    doses INTEGER NOT NULL CHECK (doses >= 0),
    last_dose_date TEXT
  ) STRICT;
  CREATE INDEX beneficiaries_by_mobile ON beneficiaries (mobile_hash);

  CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    key_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  ) STRICT;

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients (id),
    mode TEXT NOT NULL CHECK (mode IN ('widget', 'server')),
    origin TEXT,
    purpose TEXT NOT NULL,
    nonce TEXT,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    mobile_hash BLOB,
    otp_hash BLOB,
    otp_sent_at INTEGER,
    otp_expires_at INTEGER,
    sends INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    vaccination_status INTEGER,
    name_matched INTEGER,
    subject TEXT,
    consent_ticket_hash BLOB,
    token TEXT,
    token_jti TEXT,
    completed_at INTEGER
  ) STRICT;
  CREATE INDEX sessions_by_expiry ON sessions (expires_at);

  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    event TEXT NOT NULL CHECK (event IN ('allow', 'deny')),
    vaccination_status INTEGER,
    subject TEXT,
    token_jti TEXT
  ) STRICT;
  CREATE INDEX audit_by_session ON audit_events (session_id);
  CREATE INDEX audit_by_subject ON audit_events (subject);

  CREATE TABLE rate_counters (
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
  ) STRICT, WITHOUT ROWID;
  `,
  // Public (keyless, widget-made) sessions become a per-client choice; clients made before this keep
  // them, new ones opt in. A session's person is fixed by its first code: the name is kept as a keyed hash.
  `
  ALTER TABLE clients ADD COLUMN widget_sessions INTEGER NOT NULL DEFAULT 1 CHECK (widget_sessions IN (0, 1));
  ALTER TABLE sessions ADD COLUMN name_hash BLOB;
  ALTER TABLE sessions ADD COLUMN person_fixed_by TEXT CHECK (person_fixed_by IN ('backend', 'citizen'));
  `,
  // Per-address quotas now count under a keyed hash of the address (server/quotas/address-key.ts):
  // drop the counters that held client addresses in plaintext (their pages overwritten, not just
  // freed). The other rows stay: a fixed window's row reads as the first sub-window of the sliding one.
  `
  PRAGMA secure_delete = ON;
  DELETE FROM rate_counters WHERE key LIKE 'sms:ip:%' OR key LIKE 'sessions:ip:%';
  PRAGMA secure_delete = OFF;
  `,
  // The Co-WIN-compatible API (server/cowin/): its clients send sha256(otp) as hex, never the code.
  // For its sessions the code is also kept as a keyed hash of that hex, compared in constant time.
  `
  ALTER TABLE sessions ADD COLUMN otp_sha256_hash BLOB;
  `,
  // Signed webhooks (server/webhooks/): a client's endpoint and signing secret (sealed with
  // AES-256-GCM: it must sign, so it cannot be a hash; the previous one signs too for a day after a
  // change), the outbox written in the transaction of the state change it reports (one terminal
  // event per session), every delivery attempt, and how far the expiry sweeper has looked.
  `
  ALTER TABLE clients ADD COLUMN webhook_url TEXT;
  ALTER TABLE clients ADD COLUMN webhook_secret BLOB;
  ALTER TABLE clients ADD COLUMN webhook_previous_secret BLOB;
  ALTER TABLE clients ADD COLUMN webhook_previous_until INTEGER;

  CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    session_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL CHECK (type IN ('session.completed', 'session.denied', 'session.expired', 'session.failed')),
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claim TEXT,
    give_up_at INTEGER NOT NULL,
    finished_at INTEGER,
    last_result TEXT
  ) STRICT;
  CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at) WHERE state = 'pending';
  CREATE INDEX webhook_events_by_created ON webhook_events (created_at);
  CREATE INDEX webhook_events_by_client ON webhook_events (client_id, created_at);

  CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT
  ) STRICT;
  CREATE INDEX webhook_attempts_by_event ON webhook_attempts (event_id);

  CREATE TABLE webhook_sweep (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    swept_to INTEGER NOT NULL
  ) STRICT;
  INSERT INTO webhook_sweep (id, swept_to) VALUES (1, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
  `,
  // Verification links (server/sessions/link-store.ts): only a SHA-256 of each link's random code;
  // a link goes when its session is pruned.
  `
  CREATE TABLE session_links (
    link_hash BLOB PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE REFERENCES sessions (id) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID;
  `,
  // The citizen's own history (server/me/): a sign-in by a code to a mobile, kept as the check's
  // sessions are (the mobile's keyed hash, the code's keyed hash, counts), then the signed-in
  // secret's keyed hash. Rows go once expired; nothing about a person is stored.
  `
  CREATE TABLE me_sign_ins (
    id TEXT PRIMARY KEY,
    mobile_hash BLOB NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('code_sent', 'signed_in', 'locked', 'signed_out')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    otp_hash BLOB,
    otp_sent_at INTEGER NOT NULL,
    otp_expires_at INTEGER NOT NULL,
    sends INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    secret_hash BLOB
  ) STRICT;
  CREATE INDEX me_sign_ins_by_expiry ON me_sign_ins (expires_at);
  `,
  // Name correction (issue 10): the names tried after a name that matched no one, and whom the
  // consent ticket went to (only the frame's holder of the code may correct the name or list the
  // mobile's members; a host backend with its API key may not). Sessions verified before this
  // have no holder recorded, so they cannot be corrected.
  `
  ALTER TABLE sessions ADD COLUMN name_tries INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sessions ADD COLUMN ticket_holder TEXT CHECK (ticket_holder IN ('frame', 'backend'));
  `,
  // A client's name and purpose in the citizen's languages (server/clients/client-texts.ts); NULL
  // or no row: the registered (English) text. English itself is the clients row.
  `
  CREATE TABLE client_texts (
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    lang TEXT NOT NULL CHECK (lang IN ('hi', 'bn', 'gu', 'kn', 'ml', 'mr', 'or', 'pa', 'ta', 'te', 'as')),
    name TEXT,
    purpose TEXT,
    PRIMARY KEY (client_id, lang)
  ) STRICT, WITHOUT ROWID;
  `,
];

export interface OpenOptions {
  /**
   * SQLite page cache, MB (better-sqlite3's build default is 16). The mobile index is keyed by an HMAC, so
   * inserts and lookups land on random pages: a bulk import wants a large cache; the service
   * keeps a smaller one (KYCVS_DB_CACHE_MB), its reads being served from the OS page cache too.
   */
  cacheMb?: number;
}

/**
 * Opens (creating if needed) the service database in WAL mode and brings its schema up to date.
 * The file is health data: it is made 0600 before SQLite opens it, and SQLite gives its WAL and
 * shared-memory files the database file's mode; files an older version left wider are tightened.
 */
export function openDatabase(file: string, { cacheMb = 64 }: OpenOptions = {}): Db {
  if (file !== ':memory:' && file !== '') {
    // A new parent dir is 0700; an existing one is not the database's to change (the data dir is tightened by loadSecrets).
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    ensurePrivateFile(file);
    for (const suffix of ['-wal', '-shm', '-journal']) tightenFile(file + suffix);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL is durable against process crashes (only power loss can drop the last commits).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // Several app processes may share the file: wait for a writer instead of failing with SQLITE_BUSY
  // (request-path writes wait without blocking the event loop: sqlite-writer.ts).
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma(`cache_size = ${-Math.round(cacheMb * 1024)}`);
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}
