// The gateway sender on its own thread, against a fake gateway on 127.0.0.1: what it sends, how
// refusals come back across the thread, and that it never keeps a finished process alive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { FakeSmsGateway } from '../../test-support/fake-sms-gateway.ts';
import { SmsDeliveryError } from './sms.ts';
import { ThreadedSmsSender } from './threaded-sender.ts';

const gateway = new FakeSmsGateway();
const url = await gateway.start();
const sender = new ThreadedSmsSender({ url, token: 'thread-token' });
after(async () => {
  sender.close();
  await gateway.close();
});

test('texts posted from the thread reach the gateway, many at once, each answered to its own caller', async () => {
  gateway.reset();
  gateway.script = [200, 400];
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => sender.send({ to: '9876543210', text: `text ${i}` })));
  assert.equal(gateway.requests.length, 20);
  assert.equal(gateway.requests[0]!.authorization, 'Bearer thread-token');
  assert.deepEqual(new Set(gateway.messages.map((m) => m.text)).size, 20);
  assert.equal(results.filter((r) => r.status === 'rejected').length, 1, 'exactly the one the gateway refused');
});

test('a refusal crosses the thread as SmsDeliveryError: 4xx final, 5xx and an unreachable gateway retryable', async () => {
  gateway.reset();
  gateway.script = [400, 503];
  const refused = await sender.send({ to: '9876543210', text: 'a' }).catch((e: unknown) => e);
  assert.ok(refused instanceof SmsDeliveryError && !refused.retryable, String(refused));
  const busy = await sender.send({ to: '9876543210', text: 'b' }).catch((e: unknown) => e);
  assert.ok(busy instanceof SmsDeliveryError && busy.retryable, String(busy));
  const nowhere = new ThreadedSmsSender({ url: 'http://127.0.0.1:9/sms', token: 't' });
  const unreachable = await nowhere.send({ to: '9876543210', text: 'c' }).catch((e: unknown) => e);
  nowhere.close();
  assert.ok(unreachable instanceof SmsDeliveryError && unreachable.retryable, String(unreachable));
});

test('a process that made a sender and sent its text exits by itself (the thread holds it only while a text is owed)', async () => {
  const script = `
    import { ThreadedSmsSender } from ${JSON.stringify(new URL('./threaded-sender.ts', import.meta.url).href)};
    const sender = new ThreadedSmsSender({ url: ${JSON.stringify(url)}, token: 't' });
    await sender.send({ to: '9876543210', text: 'exit test' });
    console.log('sent');`;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-sms-')), 'send-one.mts');
  fs.writeFileSync(file, script);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], { timeout: 20_000 });
  fs.rmSync(path.dirname(file), { recursive: true });
  assert.equal(stdout.trim(), 'sent');
  assert.ok(gateway.messages.some((m) => m.text === 'exit test'));
});
