// `kycvs-verify` as a host's operator runs it: the command (bin/kycvs-verify.js → dist/cli.js, what `npx
// kycvs-verify` runs) in a child process against a live service on 127.0.0.1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { DEMO, HOTEL, RAILWAY_WIDGET, startTestServer, tokenFor } from '../../../test-support/harness.ts';

const CLI = fileURLToPath(new URL('../bin/kycvs-verify.js', import.meta.url));

const server = await startTestServer();
after(() => server.close());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(args: string[], stdin = '', command = process.execPath, prefix = [CLI]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const { token, sessionId } = await tokenFor(server, DEMO.asha, RAILWAY_WIDGET, { nonce: 'cli-nonce-1' });
const base = ['--issuer', server.url, '--audience', DEMO.railway.id];

describe('kycvs-verify', () => {
  test('a real token → exit 0 and the verified claims as JSON', async () => {
    const out = await run([token, ...base, '--nonce', 'cli-nonce-1', '--session', sessionId]);
    assert.equal(out.code, 0, out.stderr);
    const claims = JSON.parse(out.stdout);
    assert.equal(claims.vaccination_status, 2);
    assert.equal(claims.txn, sessionId);
    assert.equal(claims.aud, DEMO.railway.id);
    assert.equal(claims.iss, server.url);
    assert.equal(out.stderr, '');
  });

  test('the token from standard input (-), and a trailing slash on the issuer', async () => {
    const out = await run(['-', '--issuer', `${server.url}/`, '--audience', DEMO.railway.id], `${token}\n`);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(JSON.parse(out.stdout).vaccination_status, 2);
  });

  test('refusals → exit 1 and the refusal code alone on standard output', async () => {
    const hotel = await tokenFor(server, DEMO.arjun, HOTEL);
    const cases: [string[], string][] = [
      [[token, ...base, '--session', `${sessionId}x`], 'txn_mismatch'],
      [[token, ...base, '--nonce', 'another-nonce'], 'nonce_mismatch'],
      [[token, '--issuer', server.url, '--audience', DEMO.hotel.id], 'audience_mismatch'],
      [[hotel.token, ...base], 'audience_mismatch'],
      [[withSignatureBitFlipped(token), ...base], 'signature_invalid'],
      [['not-a-token', ...base], 'token_malformed'],
      [[token, '--issuer', 'http://127.0.0.1:9', '--audience', DEMO.railway.id], 'jwks_unavailable'],
    ];
    for (const [args, code] of cases) {
      const out = await run(args);
      assert.equal(out.code, 1, `${code}: ${out.stdout} ${out.stderr}`);
      assert.equal(out.stdout, `${code}\n`);
      assert.match(out.stderr, /^kycvs-verify: refused: /);
    }
  });

  test('usage errors → exit 2 with the usage on standard error; --help → exit 0', async () => {
    for (const args of [[], [token], [token, '--issuer', server.url], [token, token, ...base], [token, ...base, '--bogus'], [token, '--issuer', 'not a url', '--audience', 'x'], [token, ...base, '--nonce']]) {
      const out = await run(args);
      assert.equal(out.code, 2, `${args.join(' ')}: ${out.stdout}`);
      assert.equal(out.stdout, '');
      assert.match(out.stderr, /usage: kycvs-verify/);
    }
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: kycvs-verify <token \| -> --issuer URL --audience CLIENT_ID/);
  });
});

/** The same token with one bit of its signature flipped. Replacing the last characters would
 * sometimes change only base64url padding bits (or nothing at all), leaving the signature valid. */
function withSignatureBitFlipped(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0]! ^= 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}
