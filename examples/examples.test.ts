// The examples, run as a host developer would run them, against a live service on 127.0.0.1 (the
// test harness, demo mode): the Node host (its backend over HTTP; the citizen's part driven as the
// frame drives it), the Python backend (PyJWT against the JWKS) and the curl walk-through.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { DEMO, consent, request, requestOtp, startTestServer, verifyOtp, type TestServer } from '../test-support/harness.ts';

const exec = promisify(execFile);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

let server: TestServer;
before(async () => {
  server = await startTestServer({ demoClientsAsSeeded: true });
});
after(() => server?.close());

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

describe('examples/node-host: a host in about 20 lines with @kycvs/verifier', () => {
  let host: ChildProcess;
  let hostUrl: string;
  let clientId: string;

  before(async () => {
    const port = await freePort();
    hostUrl = `http://127.0.0.1:${port}`;
    // A new verifier for the host's origin, as `npm run cli -- clients add … --origin` makes one.
    const { client, apiKey } = await server.services.clients.create({
      id: 'example-shop',
      name: 'Example Shop',
      purpose: 'Check-in',
      allowedOrigins: [hostUrl],
    });
    clientId = client.id;
    host = spawn(process.execPath, [here('node-host/server.mjs')], {
      env: { ...process.env, KYCVS_URL: server.url, CLIENT_ID: client.id, API_KEY: apiKey, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      host.once('exit', (code) => reject(new Error(`the example host exited (${code})`)));
      host.stdout!.on('data', (chunk: Buffer) => (chunk.toString().includes('host on') ? resolve() : undefined));
    });
  });
  after(() => host?.kill());

  /** The citizen's part, as the frame does it with the session id it was handed: code, then Share. */
  async function citizenShares(sessionId: string, person: { mobile: string; name: string }): Promise<string> {
    const otp = await requestOtp(server, sessionId, person);
    const verified = await verifyOtp(server, sessionId, otp);
    assert.equal(verified.status, 200, verified.text);
    const shared = await consent(server, sessionId, 'allow', verified.body.consent_ticket);
    assert.equal(shared.status, 200, shared.text);
    return shared.body.token;
  }

  test('the page loads /embed.js from the service and its own script as a file: no inline script', async () => {
    const page = await request(hostUrl, 'GET', '/');
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(`<script src="${server.url}/embed.js"></script>`));
    assert.ok(page.text.includes('<script type="module" src="/page.js"></script>'));
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
    const script = await request(hostUrl, 'GET', '/page.js');
    assert.equal(script.status, 200);
    assert.match(script.text, /KycVs\.verify\(\{ clientId, sessionId \}\)/);
    assert.equal((await request(server.url, 'GET', '/embed.js')).status, 200, 'the loader the page names is served');
  });

  test('session with API key and nonce → the citizen shares → the host backend verifies the token: status 2', async () => {
    const session = await request(hostUrl, 'POST', '/session', { json: {} });
    assert.equal(session.status, 200, session.text);
    assert.equal(session.body.clientId, clientId);
    const token = await citizenShares(session.body.sessionId, DEMO.arjun);
    const verified = await request(hostUrl, 'POST', '/verify', { json: { sessionId: session.body.sessionId, token } });
    assert.deepEqual([verified.status, verified.body], [200, { status: 2 }]);
    // Once used, the session is forgotten: the same token again is refused.
    const again = await request(hostUrl, 'POST', '/verify', { json: { sessionId: session.body.sessionId, token } });
    assert.deepEqual([again.status, again.body], [400, { error: 'unknown_session' }]);
  });

  test('a token for another session of the same host is refused (its own nonce, then its session, are checked); an unknown session → unknown_session', async () => {
    const first = (await request(hostUrl, 'POST', '/session', { json: {} })).body.sessionId;
    const second = (await request(hostUrl, 'POST', '/session', { json: {} })).body.sessionId;
    const tokenOfSecond = await citizenShares(second, DEMO.meera);
    const swapped = await request(hostUrl, 'POST', '/verify', { json: { sessionId: first, token: tokenOfSecond } });
    assert.deepEqual([swapped.status, swapped.body], [400, { error: 'nonce_mismatch' }], 'each session has its own nonce, checked first');
    const unknown = await request(hostUrl, 'POST', '/verify', { json: { sessionId: 'ses_unknown', token: tokenOfSecond } });
    assert.deepEqual([unknown.status, unknown.body], [400, { error: 'unknown_session' }]);
    const right = await request(hostUrl, 'POST', '/verify', { json: { sessionId: second, token: tokenOfSecond } });
    assert.deepEqual(right.body, { status: 0 });
  });
});

/** A python3 with PyJWT and cryptography: PATH's, else Debian's (installed when missing and root). */
function pythonWithJwt(): string {
  const probe = (python: string) => spawnSync(python, ['-c', 'import jwt, cryptography'], { stdio: 'ignore' }).status === 0;
  for (const python of ['python3', '/usr/bin/python3']) if (probe(python)) return python;
  if (process.getuid?.() === 0) {
    const install = spawnSync('apt-get', ['install', '-y', '-q', 'python3-jwt', 'python3-cryptography'], { stdio: 'ignore', timeout: 300_000 });
    if (install.status !== 0) spawnSync('sh', ['-c', 'apt-get update -q && apt-get install -y -q python3-jwt python3-cryptography'], { stdio: 'ignore', timeout: 600_000 });
    if (probe('/usr/bin/python3')) return '/usr/bin/python3';
  }
  throw new Error('examples/python needs PyJWT: run `sudo apt-get install -y python3-jwt python3-cryptography` (or pip install pyjwt cryptography)');
}

describe('examples/python: the server-to-server flow, the token verified with PyJWT against the JWKS', () => {
  test('Arjun Singh, through the demo railway’s API key: status 2 (JANSSEN, one dose of a one-dose schedule)', async () => {
    const python = pythonWithJwt();
    const { stdout } = await exec(python, [here('python/kycvs_check.py'), DEMO.arjun.mobile, DEMO.arjun.name], {
      env: { ...process.env, KYCVS_URL: server.url, CLIENT_ID: DEMO.railway.id, API_KEY: DEMO.railway.apiKey },
      timeout: 60_000,
    });
    const out = JSON.parse(stdout);
    assert.equal(out.vaccination_status, 2);
    assert.match(out.session_id, /^ses_/);
    assert.match(out.sub, /^[A-Za-z0-9_-]{43}$/);
  });

  test('Ravi Verma through the hotel: status 1; a token checked for the wrong client is refused by PyJWT', async () => {
    const python = pythonWithJwt();
    const env = { ...process.env, KYCVS_URL: server.url, CLIENT_ID: DEMO.hotel.id, API_KEY: DEMO.hotel.apiKey };
    const { stdout } = await exec(python, [here('python/kycvs_check.py'), DEMO.ravi.mobile, DEMO.ravi.name], { env, timeout: 60_000 });
    assert.equal(JSON.parse(stdout).vaccination_status, 1);
    // The hotel's API key makes a hotel token; verifying it as the railway must fail (audience).
    await assert.rejects(
      exec(python, [here('python/kycvs_check.py'), DEMO.ravi.mobile, DEMO.ravi.name], { env: { ...env, CLIENT_ID: DEMO.railway.id }, timeout: 60_000 }),
      (err: Error & { stderr?: string }) => /InvalidAudienceError|Audience doesn't match/.test(err.stderr ?? ''),
    );
  });
});

describe('examples/curl: the whole server-to-server flow', () => {
  test('discovery, session, code, consent, token, verified by kycvs-verify: Asha Verma status 2', async () => {
    const { stdout, stderr } = await exec('bash', [here('curl/walkthrough.sh'), DEMO.asha.mobile, DEMO.asha.name], {
      cwd: here('.'),
      env: { ...process.env, KYCVS_URL: server.url, CLIENT_ID: DEMO.railway.id, API_KEY: DEMO.railway.apiKey },
      timeout: 60_000,
    });
    for (const n of [1, 2, 3, 4, 5, 6]) assert.match(stderr, new RegExp(`== ${n}\\. `));
    const claims = JSON.parse(stdout);
    assert.equal(claims.vaccination_status, 2);
    assert.equal(claims.aud, DEMO.railway.id);
    assert.match(stderr, /"state":"completed"/);
  });

  test('a wrong API key stops at step 2 with the service’s error', async () => {
    await assert.rejects(
      exec('bash', [here('curl/walkthrough.sh')], {
        cwd: here('.'),
        env: { ...process.env, KYCVS_URL: server.url, CLIENT_ID: DEMO.railway.id, API_KEY: 'kvs_not-a-real-key-000000' },
        timeout: 60_000,
      }),
      (err: Error & { code?: number; stdout?: string; stderr?: string }) => {
        assert.notEqual(err.code, 0);
        assert.equal(err.stdout, '');
        assert.match(err.stderr ?? '', /unauthorized/);
        return true;
      },
    );
  });
});
