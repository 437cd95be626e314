// KYCVS_WORKERS: several service processes behind one port share every limit, session and key
// through the stores — the SQLite file in WAL mode, or PostgreSQL + Redis (one server, or a Redis
// Cluster) as a national deployment runs. Each request here opens its own connection, so node:cluster hands them to the workers in
// turn: a flow's steps land on different processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { verifyStatusToken } from '@kycvs/verifier';
import { type ChildServer, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { DEMO, OTP_IN_TEXT, distributedStoreEnv, waitFor } from '../test-support/harness.ts';
import { connectTestRedisCluster } from '../test-support/redis-cluster.ts';

const ISSUER = 'http://kycvs.test';
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKERS = 3;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One request on a connection of its own (no keep-alive), so the cluster picks a worker for it. */
function onNewConnection(base: string, method: string, path: string, { apiKey, json }: { apiKey?: string; json?: unknown } = {}): Promise<Answer> {
  const payload = json === undefined ? undefined : JSON.stringify(json);
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), {
      method,
      agent: false,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Pids of the workers that said they listen, in the order they said it. */
const workerPids = (server: ChildServer): number[] =>
  server.stdout.flatMap((line) => {
    if (!line.includes('"KYC-VS listening"')) return [];
    return [(JSON.parse(line) as { pid: number }).pid];
  });

const STORES = { sqlite: 'one SQLite file', distributed: 'PostgreSQL + Redis', 'redis-cluster': 'PostgreSQL + a Redis Cluster of 3 masters' } as const;

for (const [store, name] of Object.entries(STORES)) {
  describe(`${WORKERS} service processes on ${name}`, () => {
    const gateway = new FakeSmsGateway();
    let server: ChildServer;
    let storeEnv: Record<string, string> = {};

    before(async () => {
      const gatewayUrl = await gateway.start();
      if (store !== 'sqlite') storeEnv = await distributedStoreEnv();
      if (store === 'redis-cluster') {
        const cluster = await connectTestRedisCluster();
        Object.assign(storeEnv, { KYCVS_REDIS_URL: cluster.url, KYCVS_REDIS_CLUSTER: '1', KYCVS_REDIS_PREFIX: cluster.prefix });
      }
      server = await spawnServer({
        env: {
          KYCVS_WORKERS: String(WORKERS),
          KYCVS_SMS_GATEWAY_URL: gatewayUrl,
          KYCVS_SMS_GATEWAY_TOKEN: 'gw',
          KYCVS_ISSUER: ISSUER,
          KYCVS_SMS_PER_MOBILE_HOUR: '5',
          ...storeEnv,
        },
        startTimeoutMs: 60_000,
      });
      await waitFor(() => workerPids(server).length === WORKERS || undefined, { timeoutMs: 30_000, what: `${WORKERS} workers listening` });
    });
    after(async () => {
      await server?.cleanup();
      await gateway.close();
    });

    /** A server-to-server session for `person` (purpose `purpose`, nonce `<purpose>-n`), and the code its SMS carried. */
    async function sessionWithCode(person: { mobile: string; name: string }, purpose: string): Promise<{ sessionId: string; otp: string }> {
      const created = await onNewConnection(server.url, 'POST', '/v1/sessions', {
        apiKey: DEMO.railway.apiKey,
        json: { purpose, nonce: `${purpose}-n`, mobile: person.mobile, name: person.name },
      });
      assert.equal(created.status, 201);
      const text = await waitFor(() => gateway.containing(`(${purpose})`).at(-1)?.text, { what: `the code of ${purpose}` });
      return { sessionId: created.body.session_id as string, otp: OTP_IN_TEXT.exec(text)![1]! };
    }

    test('a flow moves across processes: of 40 racing verifications one wins, and its token verifies against the keys any process publishes', async () => {
      const { sessionId, otp } = await sessionWithCode(DEMO.asha, 'cluster');

      const tries = await Promise.all(
        Array.from({ length: 40 }, () =>
          onNewConnection(server.url, 'POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: DEMO.railway.apiKey, json: { otp, consent: true } }),
        ),
      );
      const won = tries.filter((t) => t.status === 200);
      assert.equal(won.length, 1, `one verification wins, got ${tries.map((t) => t.status).join(' ')}`);
      assert.ok(tries.every((t) => t.status === 200 || (t.status >= 400 && t.status < 500)), 'the others are refused, never a 500');

      const jwksSeen = new Set<string>();
      for (let i = 0; i < 2 * WORKERS; i++) jwksSeen.add(JSON.stringify((await onNewConnection(server.url, 'GET', '/.well-known/jwks.json')).body));
      assert.equal(jwksSeen.size, 1, 'every process publishes the same keys');

      const verified = await verifyStatusToken(won[0]!.body.token as string, {
        issuer: ISSUER,
        audience: DEMO.railway.id,
        nonce: 'cluster-n',
        sessionId,
        jwksUri: `${server.url}/.well-known/jwks.json`,
      });
      assert.equal(verified.status, 2);
      const read = await onNewConnection(server.url, 'GET', `/v1/sessions/${sessionId}`, { apiKey: DEMO.railway.apiKey });
      assert.equal(read.body.state, 'completed', 'every process reads the session as completed');
    });

    test('of 40 racing decisions (allow and deny) on one session, spread over the processes, one stands', async () => {
      const { sessionId, otp } = await sessionWithCode(DEMO.meera, 'decide');
      const verified = await onNewConnection(server.url, 'POST', `/v1/sessions/${sessionId}/otp/verify`, {
        apiKey: DEMO.railway.apiKey,
        json: { otp },
      });
      assert.equal(verified.status, 200);
      const ticket = verified.body.consent_ticket as string;
      const decisions = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          onNewConnection(server.url, 'POST', `/v1/sessions/${sessionId}/consent`, { json: { decision: i % 2 ? 'deny' : 'allow', consent_ticket: ticket } }),
        ),
      );
      const stood = decisions.filter((d) => d.status === 200);
      assert.equal(stood.length, 1, `one decision stands, got ${decisions.map((d) => d.status).join(' ')}`);
      assert.ok(decisions.every((d) => d.status === 200 || (d.status >= 400 && d.status < 500)), 'the others are refused, never a 500');
      const read = await onNewConnection(server.url, 'GET', `/v1/sessions/${sessionId}`, { apiKey: DEMO.railway.apiKey });
      assert.equal(read.body.state, 'token' in stood[0]!.body ? 'completed' : 'denied', 'every process reads the decision that stood');
    });

    test('a key rotated through the command line is published by every process', async () => {
      const rotate = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'keys', 'rotate'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KYCVS_DATA_DIR: server.dataDir, ...storeEnv },
        encoding: 'utf8',
      });
      assert.equal(rotate.status, 0, rotate.stderr);
      const kid = /new signing key (\S+):/.exec(rotate.stdout)?.[1];
      assert.ok(kid, rotate.stdout);
      // Every process re-reads the keys well within the minute a new key is published before it signs.
      await waitFor(
        async () => {
          const seen = await Promise.all(Array.from({ length: 2 * WORKERS }, () => onNewConnection(server.url, 'GET', '/.well-known/jwks.json')));
          return seen.every((jwks) => (jwks.body.keys as { kid: string }[]).some((k) => k.kid === kid)) || undefined;
        },
        { timeoutMs: 30_000, what: `every process publishing ${kid}` },
      );
    });

    test('a per-mobile SMS quota of 5 an hour holds exactly across processes: 20 racing sessions, 5 texts', async () => {
      const person = DEMO.arjun; // a mobile the other tests do not text
      const before = gateway.to(person.mobile).length;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          onNewConnection(server.url, 'POST', '/v1/sessions', {
            apiKey: DEMO.hotel.apiKey,
            json: { purpose: `quota-${i}`, mobile: person.mobile, name: person.name },
          }),
        ),
      );
      const statuses = answers.map((a) => a.status);
      assert.equal(statuses.filter((s) => s === 201).length, 5, `5 sessions made, got ${statuses.join(' ')}`);
      assert.equal(statuses.filter((s) => s === 429).length, 15, '15 refused as rate-limited');
      await waitFor(() => gateway.to(person.mobile).length - before >= 5 || undefined, { what: '5 texts' });
      assert.equal(new Set(gateway.to(person.mobile).slice(before).map((m) => m.text)).size, 5, 'exactly 5 texts');
    });

    test('a worker that dies is replaced, and the port keeps answering meanwhile', async () => {
      const [victim] = workerPids(server);
      process.kill(victim!, 'SIGKILL');
      await waitFor(() => workerPids(server).length > WORKERS || undefined, { timeoutMs: 30_000, what: 'a replacement worker' });
      const answers = await Promise.all(Array.from({ length: 2 * WORKERS }, () => onNewConnection(server.url, 'GET', '/healthz')));
      assert.deepEqual(
        answers.map((a) => a.status),
        answers.map(() => 200),
      );
    });
  });
}
