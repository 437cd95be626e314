// The package as a host installs it: `npm pack` (which builds it), then `npm install <tarball>` in a
// fresh directory outside the repository, and plain `node` (no tsx, no TypeScript) verifying a real
// token from a live service, a Standard Webhooks signature, and the `npx kycvs-verify` command;
// then a TypeScript host's view of the published types (tsc over a consumer file).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { DEMO, RAILWAY_WIDGET, createSession, requestOtp, startTestServer, tokenFor, verifyOtp, waitFor, type TestServer } from '../../../test-support/harness.ts';

const exec = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO = path.resolve(PACKAGE_DIR, '../..');
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

let work: string;
let consumer: string;
let tarball: string;
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
let server: TestServer;

/** Runs a command, resolving with its exit code and output whatever the code. */
async function sh(file: string, args: string[], cwd: string, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const child = exec(file, args, { cwd, env: NPM_ENV, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
    if (input !== undefined) child.child.stdin?.end(input);
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-pack-'));
  // Pack a copy of the package's sources, so its prepack build writes there and never under the
  // dist/ that other tests are importing; its node_modules is the repo's (tsc, @types/node, jose).
  const source = path.join(work, 'source');
  fs.mkdirSync(source);
  for (const entry of ['package.json', 'README.md', 'embed.d.ts', 'tsconfig.json', 'bin', 'src']) {
    fs.cpSync(path.join(PACKAGE_DIR, entry), path.join(source, entry), { recursive: true, filter: (f) => !f.endsWith('.test.ts') });
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  const pack = await sh('npm', ['pack', '--json', '--pack-destination', work], source);
  assert.equal(pack.code, 0, pack.stderr);
  [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  tarball = path.join(work, packed.filename);

  consumer = path.join(work, 'host');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'a-host', private: true, type: 'module' }));
  const install = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], consumer);
  assert.equal(install.code, 0, `npm install of the tarball: ${install.stderr}`);

  server = await startTestServer();
});

after(async () => {
  await server?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the packed @kycvs/verifier', () => {
  test('the tarball holds the built package and nothing else: ESM JavaScript, .d.ts, embed.d.ts, the command, README; jose its only dependency', () => {
    const files = packed.files.map((f) => f.path).sort();
    assert.deepEqual(files, [
      'README.md',
      'bin/kycvs-verify.js',
      'dist/cli.d.ts',
      'dist/cli.js',
      'dist/index.d.ts',
      'dist/index.js',
      'dist/verify-status-token.d.ts',
      'dist/verify-status-token.js',
      'dist/webhooks.d.ts',
      'dist/webhooks.js',
      'embed.d.ts',
      'package.json',
    ]);
    const installed = path.join(consumer, 'node_modules', '@kycvs', 'verifier');
    const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies), ['jose']);
    assert.equal(manifest.devDependencies, undefined);
    // No import reaches outside the package: only its own files, jose and node: built-ins.
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(installed, file), 'utf8');
      for (const [, bare, named] of text.matchAll(/\bimport\s+['"]([^'"]+)['"]|\bfrom\s+['"]([^'"]+)['"]/g)) {
        const specifier = bare ?? named;
        assert.match(specifier!, /^(\.\/[\w-]+\.js|\.\.\/dist\/[\w-]+\.js|jose|node:[\w/]+)$/, `${file} imports ${specifier}`);
      }
    }
    assert.ok(fs.existsSync(path.join(consumer, 'node_modules', 'jose')), 'jose installed from the registry');
    console.log(`# tarball ${packed.filename}: ${packed.size} B packed, ${packed.unpackedSize} B unpacked, ${files.length} files`);
  });

  test('plain node verifies a real token from a live service, refuses another session’s (txn_mismatch), and verifies a Standard Webhooks signature', async () => {
    const mine = await tokenFor(server, DEMO.asha, RAILWAY_WIDGET, { nonce: 'pack-nonce' });
    const other = await tokenFor(server, DEMO.ravi, RAILWAY_WIDGET, { nonce: 'pack-nonce' });
    const secret = `whsec_${Buffer.from('a-host-s-webhook-secret-24+').toString('base64')}`;
    const body = JSON.stringify({ type: 'session.completed', timestamp: new Date().toISOString(), data: { session_id: mine.sessionId, client_id: DEMO.railway.id, token: mine.token } });
    const id = 'msg_pack_test_0001';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;

    fs.writeFileSync(
      path.join(consumer, 'check.mjs'),
      `import { verifyStatusToken, StatusTokenError, verifyWebhook, WebhookError } from '@kycvs/verifier';
import { verifyWebhook as fromSubpath } from '@kycvs/verifier/webhooks';
const input = JSON.parse(process.argv[2]);
const options = { issuer: input.issuer, audience: input.audience, nonce: input.nonce, sessionId: input.sessionId };
const out = {};
const { status, claims } = await verifyStatusToken(input.token, options);
out.status = status;
out.txn = claims.txn;
try {
  await verifyStatusToken(input.otherToken, options);
  out.other = 'accepted';
} catch (err) {
  out.other = err instanceof StatusTokenError ? err.code : String(err);
}
const hook = verifyWebhook(Buffer.from(input.body), input.headers, input.secret);
out.webhook = { id: hook.id, type: hook.payload.type, session: hook.payload.data.session_id };
out.subpath = fromSubpath === verifyWebhook;
try {
  verifyWebhook(input.body + ' ', input.headers, input.secret);
  out.tampered = 'accepted';
} catch (err) {
  out.tampered = err instanceof WebhookError ? err.code : String(err);
}
// The specification's shared vector.
out.vector = verifyWebhook('{"test": 2432232314}', {
  'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  'webhook-timestamp': '1614265330',
  'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', { now: 1614265330_000 }).payload.test;
console.log(JSON.stringify(out));
`,
    );
    const input = {
      issuer: server.url,
      audience: DEMO.railway.id,
      nonce: 'pack-nonce',
      sessionId: mine.sessionId,
      token: mine.token,
      otherToken: other.token,
      body,
      secret,
      headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
    };
    const run = await sh(process.execPath, ['check.mjs', JSON.stringify(input)], consumer);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      status: 2,
      txn: mine.sessionId,
      other: 'txn_mismatch',
      webhook: { id, type: 'session.completed', session: mine.sessionId },
      subpath: true,
      tampered: 'signature_invalid',
      vector: 2432232314,
    });
  });

  test('npx kycvs-verify in the host directory: claims as JSON (exit 0), a refusal code (exit 1)', async () => {
    const { token, sessionId } = await tokenFor(server, DEMO.meera, RAILWAY_WIDGET, { nonce: 'npx-nonce' });
    const args = ['--no-install', 'kycvs-verify', token, '--issuer', server.url, '--audience', DEMO.railway.id, '--nonce', 'npx-nonce'];
    const ok = await sh('npx', [...args, '--session', sessionId], consumer);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).vaccination_status, 0);
    const refused = await sh('npx', [...args, '--session', 'ses_another'], consumer);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, 'txn_mismatch\n');
  });

  test('a real webhook: the service POSTs session.completed to a plain-node receiver that verifies it with the package', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const { client, apiKey } = await server.services.clients.create({ id: 'pack-hook', name: 'Pack Hook', purpose: 'Check-in', allowedOrigins: [] });
    // Demo mode: a loopback URL is allowed. The secret is printed once, as `clients update ID --webhook URL` does.
    const secret = (await server.services.clients.setWebhook(client.id, `http://127.0.0.1:${port}/kycvs/webhook`, { demo: true }))!;
    assert.match(secret, /^whsec_/);
    fs.writeFileSync(
      path.join(consumer, 'receiver.mjs'),
      `import http from 'node:http';
import { verifyWebhook, WebhookError } from '@kycvs/verifier';
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => {
    try {
      const { id, payload } = verifyWebhook(Buffer.concat(chunks), req.headers, process.env.WEBHOOK_SECRET);
      console.log(JSON.stringify({ id, type: payload.type, data: payload.data }));
      res.writeHead(204).end();
    } catch (err) {
      console.log(JSON.stringify({ refused: err instanceof WebhookError ? err.code : String(err) }));
      res.writeHead(401).end();
    }
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ listening: true })));
`,
    );
    const lines: Record<string, any>[] = [];
    const receiver = spawn(process.execPath, ['receiver.mjs'], { cwd: consumer, env: { ...process.env, PORT: String(port), WEBHOOK_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] });
    receiver.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l))));
    try {
      await waitFor(() => lines.some((l) => l.listening), { what: 'the receiver listening' });
      const as = { apiKey };
      const sessionId = await createSession(server, as, { nonce: 'hook-nonce' });
      const otp = await requestOtp(server, sessionId, DEMO.asha, as);
      const answer = await verifyOtp(server, sessionId, otp, as, true);
      assert.equal(answer.status, 200, answer.text);
      const event = await waitFor(() => lines.find((l) => l.type === 'session.completed'), { what: 'session.completed', timeoutMs: 15_000 });
      assert.match(event.id, /^msg_/);
      assert.equal(event.data.session_id, sessionId);
      assert.equal(event.data.token, answer.body.token);
      // A forgery posted to the same receiver is refused by the package.
      const forged = await fetch(`http://127.0.0.1:${port}/kycvs/webhook`, {
        method: 'POST',
        body: JSON.stringify({ type: 'session.completed', data: { session_id: sessionId } }),
        headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      });
      assert.equal(forged.status, 401);
      await waitFor(() => lines.some((l) => l.refused === 'signature_invalid'), { what: 'the receiver’s refusal' });
      assert.ok(!lines.some((l) => l.refused && l.refused !== 'signature_invalid'), JSON.stringify(lines));
    } finally {
      receiver.kill();
    }
  });

  test('a TypeScript host compiles against the published types (NodeNext and bundler resolution, DOM for embed)', async () => {
    fs.writeFileSync(
      path.join(consumer, 'host.ts'),
      `import { verifyStatusToken, verifyWebhook, StatusTokenError, type StatusTokenErrorCode, type VerifiedWebhook } from '@kycvs/verifier';
import type {} from '@kycvs/verifier/embed';
import type { KycVsErrorCode, KycVsResult } from '@kycvs/verifier/embed';

export async function backend(token: string, sessionId: string): Promise<0 | 1 | 2> {
  try {
    const { status, claims } = await verifyStatusToken(token, { issuer: 'https://kycvs.example', audience: 'c', nonce: 'n', sessionId });
    const txn: string = claims.txn;
    void txn;
    return status;
  } catch (err) {
    if (err instanceof StatusTokenError) {
      const code: StatusTokenErrorCode = err.code;
      if (code === 'txn_mismatch') return 0;
    }
    throw err;
  }
}
export const hook: VerifiedWebhook<{ type: string }> = verifyWebhook<{ type: string }>('{}', { 'webhook-id': 'x' }, 'whsec_AAAA');

export async function page(): Promise<KycVsResult | KycVsErrorCode> {
  const button = document.querySelector('kyc-vs-button');
  button?.addEventListener('kycvs-result', (event) => console.log(event.detail.token, event.detail.status));
  document.addEventListener('kycvs-error', (event) => console.log(event.detail.code));
  try {
    return await KycVs.verify({ clientId: 'c', sessionId: 's', lang: 'hi' });
  } catch (err) {
    if (err instanceof KycVs.KycVsError) return err.code;
    throw err;
  }
}
`,
    );
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const common = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--skipLibCheck', 'false', 'host.ts'];
    for (const resolution of [['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['--module', 'esnext', '--moduleResolution', 'bundler']]) {
      const out = await sh(process.execPath, [tsc, ...resolution, ...common], consumer);
      assert.equal(out.code, 0, `${resolution.join(' ')}: ${out.stdout}${out.stderr}`);
    }
    // And a type error is caught (the check is not vacuous).
    fs.writeFileSync(path.join(consumer, 'wrong.ts'), `import type {} from '@kycvs/verifier/embed';\nKycVs.verify({ client: 'c' });\n`);
    const wrong = await sh(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--lib', 'es2022,dom', 'wrong.ts'], consumer);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stdout, /clientId/);
  });
});
