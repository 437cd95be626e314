// `webhooks list|attempts|replay` on the store interface, the same on the SQLite file and on
// PostgreSQL (cli.test.ts runs the whole CLI as a process next to a running service, on SQLite).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientError } from '../clients/clients.ts';
import { type EventStoreBackend, postgresBackend, sqliteBackend } from './contract-backends.ts';
import { runWebhooksCommand } from './cli.ts';
import { newWebhookEventRow } from './outbox.ts';
import { webhookSettingsFromEnv } from './settings.ts';

class UsageError extends Error {}
const usage = (m: string) => new UsageError(m);
const config = { webhooks: webhookSettingsFromEnv({}) };

for (const make of [sqliteBackend, postgresBackend]) {
  describe(`webhooks commands on ${make === sqliteBackend ? 'SQLite' : 'PostgreSQL'}`, () => {
    let backend: EventStoreBackend;
    before(async () => {
      backend = await make();
    });
    after(async () => {
      await backend.close();
    });

    test('list, attempts and replay of a failed event; errors for unknown ids and bad flags', async () => {
      const events = backend.connect();
      const run = (command: string, args: string[] = [], options: { client?: string; status?: string } = {}) =>
        runWebhooksCommand(command, args, options, events, config, usage);
      const now = Date.now();
      const row = newWebhookEventRow('session.failed', { sessionId: 'ses_cli_1', clientId: 'cli-client', nonce: null }, now - 1000, 1000, { reason: 'otp_locked' });
      await backend.insert(row);
      await backend.insert(newWebhookEventRow('session.denied', { sessionId: 'ses_cli_2', clientId: 'other', nonce: null }, now - 2000, 1000), now + 60_000);
      const [claimed] = await events.claimDue(now, 1, 21_000);
      assert.equal(claimed?.id, row.id);
      await events.recordAttempt(claimed!, { eventId: row.id, attempt: 1, at: now, durationMs: 7, statusCode: 410, error: 'HTTP 410' }, { kind: 'failed' }, 'HTTP 410');

      const listed = await run('list', [], { client: 'cli-client' });
      assert.equal(listed.length, 1);
      const cols = listed[0]!.split('\t');
      assert.deepEqual(cols.slice(0, 6), [row.id, 'session.failed', 'cli-client', 'ses_cli_1', 'failed', 'attempts 1']);
      assert.equal(cols.at(-1), 'HTTP 410');
      assert.equal((await run('list', [], { status: 'pending' })).length, 1);
      await assert.rejects(run('list', [], { status: 'lost' }), UsageError);

      const attempts = await run('attempts', [row.id]);
      assert.deepEqual(attempts.map((l) => l.split('\t')).map((c) => [c[0], c[2], c[3], c[4]]), [['#1', '410', 'HTTP 410', '7 ms']]);
      await assert.rejects(run('attempts', ['msg_none']), (err: unknown) => err instanceof ClientError && err.code === 'client_not_found');

      assert.match((await run('replay', [row.id]))[0]!, /queued again/);
      assert.equal((await events.get(row.id))?.state, 'pending');
      const [busy] = await events.claimDue(Date.now(), 10, 21_000).then((c) => c.filter((e) => e.id === row.id));
      assert.ok(busy);
      await assert.rejects(run('replay', [row.id]), (err: unknown) => err instanceof ClientError && err.code === 'client_invalid');
      await assert.rejects(run('replay', ['msg_none']), (err: unknown) => err instanceof ClientError && err.code === 'client_not_found');
      await assert.rejects(run('nonsense'), UsageError);
    });
  });
}
