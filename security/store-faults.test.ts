// Fault: the distributed stores misbehave under a running service. PostgreSQL drops every connection
// of the service while requests are in flight (what a restart or a failover does); PostgreSQL is not
// there at all when a process starts. Every answer meanwhile is the flow's own or `503
// service_unavailable` with Retry-After — never a 500 — the service recovers by itself, and no token
// is handed out without its audit record in PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { createServices } from '../server/services.ts';
import { DatabaseUnavailableError } from '../server/store/unavailable.ts';
import { type ApiResponse, DEMO, type TestServer, distributedStoreEnv, startTestServer, tokenFor, waitFor } from '../test-support/harness.ts';
import { postgresAdminUrl } from '../test-support/postgres.ts';

/** Terminates every connection to the service's database, as a PostgreSQL restart would. */
async function dropServiceConnections(server: TestServer): Promise<number> {
  const database = new URL(server.config.postgres.url!).pathname.slice(1);
  const admin = new pg.Client({ connectionString: await postgresAdminUrl() });
  await admin.connect();
  try {
    const res = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    return res.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** The flow's own answer, or a 503 that says when to come back. */
function assertAnswerOrUnavailable(res: ApiResponse, ok: number, what: string): void {
  if (res.status === ok) return;
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.body.error, 'service_unavailable', what);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, `${what}: Retry-After`);
}

test('while a store is away every request says 503, and the log says so once, not once per request', async () => {
  // Rate counters in a Redis where nothing listens (port 9): every session create needs them.
  const away = await startTestServer({ store: 'sqlite', env: { KYCVS_REDIS_URL: 'redis://127.0.0.1:9' } });
  try {
    const answers = await Promise.all(Array.from({ length: 8 }, () => away.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { purpose: 'away' } })));
    for (const res of answers) assertAnswerOrUnavailable(res, 503, 'Redis away');
    const warnings = away.logs.filter((line) => line.includes('store unavailable'));
    assert.equal(warnings.length, 1, `one warning for 8 failures at once, got ${warnings.length}`);
  } finally {
    await away.close();
  }
});

describe('PostgreSQL drops the service’s connections mid-traffic', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ store: 'distributed' });
  });
  after(() => server?.close());

  test('requests in flight answer or say 503 with Retry-After, the next ones succeed, and every token has its audit record', async (t) => {
    await tokenFor(server, DEMO.arjun); // every pooled connection open and warm
    const auditBefore = await server.services.audit.count();

    // Server-to-server flows that each touch PostgreSQL (registry lookup, the decision's commit),
    // racing connection drops.
    let unavailable = 0;
    const flows = Array.from({ length: 12 }, async (_, i) => {
      const created = await server.api('POST', '/v1/sessions', {
        apiKey: DEMO.railway.apiKey,
        json: { purpose: `fault-${i}`, mobile: DEMO.asha.mobile, name: DEMO.asha.name },
      });
      assertAnswerOrUnavailable(created, 201, `create ${i}`);
      if (created.status === 503) unavailable++;
      return created.status === 201 ? (created.body.session_id as string) : null;
    });
    const drops = [dropServiceConnections(server), new Promise((r) => setTimeout(r, 5)).then(() => dropServiceConnections(server))];
    const [sessions, dropped] = await Promise.all([Promise.all(flows), Promise.all(drops)]);
    assert.ok(dropped[0]! + dropped[1]! >= 1, 'the service had connections to drop');

    // Recovery, by itself: the pool opens new connections on the next request.
    const recovered = await waitFor(
      async () => {
        const res = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { purpose: 'after', mobile: DEMO.asha.mobile, name: DEMO.asha.name } });
        assertAnswerOrUnavailable(res, 201, 'after the drop');
        return res.status === 201 || undefined;
      },
      { timeoutMs: 15_000, what: 'a session made after the drop' },
    );
    assert.equal(recovered, true);

    // Decisions committed while connections are being dropped again: each token has its record.
    const tokens: string[] = [];
    await Promise.all([
      ...sessions.filter((id): id is string => id !== null).map(async (id) => {
        const text = (await server.api('GET', `/v1/dev/sms?mobile=${DEMO.asha.mobile}`)).body.messages.find((m: { text: string }) =>
          m.text.includes(`(fault-${sessions.indexOf(id)})`),
        )?.text as string | undefined;
        if (!text) return;
        const verify = await server.api('POST', `/v1/sessions/${id}/otp/verify`, { apiKey: DEMO.railway.apiKey, json: { otp: text.slice(0, 6), consent: true } });
        assertAnswerOrUnavailable(verify, 200, `verify ${id}`);
        if (verify.status === 200) tokens.push(verify.body.token as string);
      }),
      dropServiceConnections(server),
    ]);
    assert.ok(tokens.length >= 1, 'some decisions went through');
    t.diagnostic(`figure: ${dropped[0]! + dropped[1]!} connections dropped under 12 creates: ${unavailable} answered 503, the rest 201; then ${tokens.length} tokens while dropping again`);
    const records = await waitFor(async () => (await server.services.audit.count().catch(() => undefined)) ?? undefined, { what: 'the audit count' });
    assert.ok(records - auditBefore >= tokens.length, `${tokens.length} tokens, ${records - auditBefore} new audit records`);
  });
});

test('a process that starts while PostgreSQL is not there stops at once, saying so, instead of hanging', async () => {
  const env = await distributedStoreEnv();
  // A port where nothing listens: what a service sees while its database is down.
  const config = loadConfig({ ...env, KYCVS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/kycvs', KYCVS_DEMO: '1', KYCVS_DATA_DIR: '/nonexistent-kycvs-data' });
  const started = Date.now();
  await assert.rejects(createServices(config, createLogger('silent')), (err: unknown) => err instanceof DatabaseUnavailableError && err.code === 'database_unavailable');
  assert.ok(Date.now() - started < 10_000, `gave up after ${Date.now() - started} ms`);
});
