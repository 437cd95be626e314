// The operator's side of webhooks, run as operators run it (the CLI as its own process) next to a
// running service on the same data dir: `clients update --webhook` prints the secret once and refuses
// URLs a production delivery could never use, `--no-webhook`, `clients list`, and `webhooks list`,
// `attempts` and `replay` on events the service really delivered.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addBeneficiary, outbox, OTP_IN_TEXT, startTestServer, waitFor } from '../../test-support/harness.ts';
import { WebhookReceiver, specVerify } from '../../test-support/webhook-receiver.ts';
import { DATABASE_FILE } from '../services.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-webhook-cli-'));
const receiver = await new WebhookReceiver().start();
const server = await startTestServer({
  dataDir,
  env: { KYCVS_WEBHOOK_RETRY_BASE_MS: '100', KYCVS_WEBHOOK_RETRY_MAX_MS: '200', KYCVS_WEBHOOK_RETRY_FOR: '1', KYCVS_WEBHOOK_POLL_MS: '100' },
});
after(async () => {
  await server.close();
  await receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function cli(env: Record<string, string>, ...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, KYCVS_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
const SCAN = `
const fs = require('node:fs'), path = require('node:path');
const [dir, secret] = process.argv.slice(1);
const needles = [secret, secret.slice(6), Buffer.from(secret.slice(6), 'base64')];
const files = fs.readdirSync(dir).filter((f) => fs.statSync(path.join(dir, f)).isFile());
const holding = files.filter((f) => { const c = fs.readFileSync(path.join(dir, f)); return needles.some((n) => c.includes(n)); });
console.log(JSON.stringify({ files, holding }));`;
const production = (...args: string[]) => cli({}, ...args);
const demo = (...args: string[]) => cli({ KYCVS_DEMO: '1' }, ...args);

function webhookColumn(id: string): string {
  const list = production('clients', 'list');
  assert.equal(list.status, 0, list.stderr);
  const line = list.stdout.split('\n').find((l) => l.startsWith(`${id}\t`));
  return line!.split('\t').at(-1)!;
}

const added = production('clients', 'add', '--id', 'hooked', '--name', 'Hooked Verifier', '--purpose', 'Testing webhooks');
assert.equal(added.status, 0, added.stderr);
const apiKey = /API key \(shown once, store it now\): (\S+)/.exec(added.stdout)![1]!;

describe('clients update --webhook', () => {
  test('production mode refuses what a delivery could never use, with the reason; the client stays as it was', () => {
    const refused: [string, RegExp][] = [
      ['http://hooks.example/kycvs', /must be an https URL \(plain http is allowed in demo mode only\)/],
      ['https://127.0.0.1/kycvs', /127\.0\.0\.1 is a loopback address \(allowed in demo mode only\)/],
      ['https://localhost:8443/kycvs', /localhost resolves to .* is a loopback address/],
      ['https://10.0.0.8/kycvs', /10\.0\.0\.8 is a private address/],
      ['https://[::ffff:192.168.1.1]/kycvs', /private address/],
      ['https://169.254.169.254/latest/meta-data/', /link-local address/],
      ['https://100.64.1.1/', /cgnat address/],
      ['https://[ff02::1]/', /multicast address/],
      ['https://0.0.0.0/', /unspecified address/],
      ['https://2130706433/', /127\.0\.0\.1 is a loopback/],
      ['https://user:secret@hooks.example/', /user name or password/],
      ['not-a-url', /not an absolute URL/],
    ];
    for (const [url, reason] of refused) {
      const run = production('clients', 'update', 'hooked', '--webhook', url, '--name', 'Renamed Anyway');
      assert.equal(run.status, 1, `${url}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /^error: webhook URL refused: /, url);
      assert.match(run.stderr, reason, url);
      assert.doesNotMatch(run.stdout + run.stderr, /whsec_/);
    }
    assert.equal(webhookColumn('hooked'), 'no webhook');
    assert.match(production('clients', 'list').stdout, /Hooked Verifier/, 'nothing else changed either');
  });

  test('a public https address is accepted in production (the CLI only classifies it: nothing is sent)', () => {
    const run = production('clients', 'update', 'hooked', '--webhook', 'https://93.184.216.34/kycvs');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /signing secret \(shown once, store it now; verify webhook-signature with it\): whsec_[A-Za-z0-9+/]{43}=/);
    assert.equal(webhookColumn('hooked'), 'webhook https://93.184.216.34/kycvs');
  });

  test('--no-webhook removes it; both flags at once is a usage error', () => {
    const both = production('clients', 'update', 'hooked', '--webhook', 'https://93.184.216.34/', '--no-webhook');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /not both/);
    const off = production('clients', 'update', 'hooked', '--no-webhook');
    assert.equal(off.status, 0, off.stderr);
    assert.match(off.stdout, /webhook removed/);
    assert.equal(webhookColumn('hooked'), 'no webhook');
  });
});

describe('webhooks list, attempts, replay', () => {
  let secret = '';
  let eventId = '';

  test('demo mode takes a loopback http URL; the secret is printed once and found nowhere in the data dir', async () => {
    const run = demo('clients', 'update', 'hooked', '--webhook', receiver.url('/kycvs'));
    assert.equal(run.status, 0, run.stderr);
    secret = /(whsec_\S+)/.exec(run.stdout)![1]!;
    assert.equal(production('clients', 'list').stdout.includes(secret), false);
    // Read from another process: opening and closing the database's files here would drop the POSIX
    // locks this process's SQLite connection (the running service) holds on them.
    const scan = spawnSync(process.execPath, ['-e', SCAN, dataDir, secret], { encoding: 'utf8' });
    assert.equal(scan.status, 0, scan.stderr);
    const found = JSON.parse(scan.stdout) as { files: string[]; holding: string[] };
    assert.ok(found.files.includes(DATABASE_FILE), scan.stdout);
    assert.deepEqual(found.holding, [], 'no file holds the secret, its base64 or its bytes');
  });

  test('an event the service delivered is listed, its attempts shown, and a replay sends it again: same id, signed', async () => {
    const person = await addBeneficiary(server);
    const created = await server.api('POST', '/v1/sessions', { apiKey, json: { mobile: person.mobile, name: person.name } });
    const [sms] = await outbox(server, person.mobile);
    const done = await server.api('POST', `/v1/sessions/${created.body.session_id}/otp/verify`, { apiKey, json: { otp: OTP_IN_TEXT.exec(sms!.text)![1], consent: true } });
    assert.equal(done.status, 200, done.text);
    await waitFor(() => receiver.requests.length === 1, { what: 'the event' });
    eventId = String(receiver.requests[0]!.headers['webhook-id']);
    assert.ok(specVerify(secret, receiver.requests[0]!), 'signed with the secret the CLI printed');
    await waitFor(() => production('webhooks', 'list', '--status', 'delivered').stdout.includes(eventId), { what: 'listed as delivered' });

    const list = production('webhooks', 'list', '--client', 'hooked');
    const cols = list.stdout.trim().split('\n')[0]!.split('\t');
    assert.deepEqual(cols.slice(0, 6), [eventId, 'session.completed', 'hooked', created.body.session_id, 'delivered', 'attempts 1']);
    assert.equal(production('webhooks', 'list', '--status', 'failed', '--client', 'hooked').stdout, '');
    assert.doesNotMatch(list.stdout, /eyJ/, 'the list shows no token');
    const attempts = production('webhooks', 'attempts', eventId);
    assert.match(attempts.stdout, /^#1\t\S+Z\t204\tok\t\d+ ms$/m);

    const replay = production('webhooks', 'replay', eventId);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /queued again/);
    await waitFor(() => receiver.requests.length === 2, { what: 'the replayed event' });
    const again = receiver.requests[1]!;
    assert.equal(again.headers['webhook-id'], eventId);
    assert.equal(again.body.toString(), receiver.requests[0]!.body.toString());
    assert.ok(specVerify(secret, again));
    await waitFor(() => /attempts 2/.test(production('webhooks', 'list', '--status', 'delivered').stdout), { what: 'two attempts' });
  });

  test('a failed event (receiver down past the retry window) is delivered by a replay once the receiver is back', async () => {
    receiver.reply = () => ({ status: 500 });
    const person = await addBeneficiary(server);
    const created = await server.api('POST', '/v1/sessions', { apiKey, json: { mobile: person.mobile, name: person.name } });
    const [sms] = await outbox(server, person.mobile);
    await server.api('POST', `/v1/sessions/${created.body.session_id}/otp/verify`, { apiKey, json: { otp: OTP_IN_TEXT.exec(sms!.text)![1], consent: true } });
    const failed = await waitFor(
      () => production('webhooks', 'list', '--status', 'failed').stdout.split('\n').find((l) => l.includes(created.body.session_id)),
      { timeoutMs: 10_000, what: 'the event failed for good' },
    );
    const id = failed.split('\t')[0]!;
    receiver.reply = () => ({ status: 200 });
    const before = receiver.requests.length;
    assert.equal(production('webhooks', 'replay', id).status, 0);
    await waitFor(() => receiver.requests.slice(before).some((r) => r.headers['webhook-id'] === id), { what: 'the replay delivered' });
    await waitFor(() => production('webhooks', 'list', '--status', 'delivered').stdout.includes(id), { what: 'delivered now' });
  });

  test('unknown event or status: clear errors', () => {
    const nope = production('webhooks', 'replay', 'msg_nope');
    assert.equal(nope.status, 1);
    assert.match(nope.stderr, /no webhook event "msg_nope"/);
    const bad = production('webhooks', 'list', '--status', 'lost');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--status is one of pending, delivered, failed/);
    assert.equal(production('webhooks', 'replay').status, 2);
  });
});
