// Tests only: the two event stores on real databases, behind one shape, so a contract test runs the
// same cases against both. Each `connect()` is another connection (SQLite) or pool (PostgreSQL): a
// second service process. Events are written as the outboxes write them (newWebhookEventRow).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Db, openDatabase } from '../store/database.ts';
import { createTestDatabase } from '../../test-support/postgres.ts';
import type { WebhookEventStore } from './event-store.ts';
import type { WebhookEventRow } from './outbox.ts';
import { PostgresWebhookEventStore } from './postgres-event-store.ts';
import { SqliteWebhookEventStore } from './sqlite-event-store.ts';

export interface EventStoreBackend {
  name: 'sqlite' | 'postgres';
  /** A store on a connection of its own (another process). */
  connect(): WebhookEventStore;
  /** Writes a pending event, due at `nextAttemptAt` (its creation time unless given). */
  insert(row: WebhookEventRow, nextAttemptAt?: number): Promise<void>;
  /** Deletes every event (and attempt): each case starts empty. */
  reset(): Promise<void>;
  countAttempts(): Promise<number>;
  close(): Promise<void>;
}

const INSERT_COLUMNS = 'id, client_id, session_id, type, payload, created_at, state, next_attempt_at, give_up_at';
const insertArgs = (row: WebhookEventRow, nextAttemptAt: number | undefined) => [
  row.id,
  row.clientId,
  row.sessionId,
  row.type,
  row.payload,
  row.createdAt,
  'pending',
  nextAttemptAt ?? row.createdAt,
  row.giveUpAt,
];

export function sqliteBackend(): EventStoreBackend {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-events-'));
  const file = path.join(dir, 'kycvs.sqlite');
  const opened: Db[] = [];
  const open = () => {
    const db = openDatabase(file);
    opened.push(db);
    return db;
  };
  const main = open();
  return {
    name: 'sqlite',
    connect: () => new SqliteWebhookEventStore(open()),
    async insert(row, nextAttemptAt) {
      main.prepare(`INSERT INTO webhook_events (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...insertArgs(row, nextAttemptAt));
    },
    async reset() {
      main.exec('DELETE FROM webhook_attempts; DELETE FROM webhook_events;');
    },
    async countAttempts() {
      return (main.prepare('SELECT COUNT(*) AS n FROM webhook_attempts').get() as { n: number }).n;
    },
    async close() {
      for (const db of opened) db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresBackend(): Promise<EventStoreBackend> {
  const db = await createTestDatabase();
  return {
    name: 'postgres',
    connect: () => new PostgresWebhookEventStore(db.newPool()),
    async insert(row, nextAttemptAt) {
      await db.pool.query(`INSERT INTO webhook_events (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, insertArgs(row, nextAttemptAt));
    },
    async reset() {
      await db.pool.query('DELETE FROM webhook_events');
    },
    async countAttempts() {
      const { rows } = await db.pool.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM webhook_attempts');
      return rows[0]!.n;
    },
    close: () => db.drop(),
  };
}
