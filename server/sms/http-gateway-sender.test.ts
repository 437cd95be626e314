// HttpGatewaySmsSender on its own, against gateways on 127.0.0.1 that behave badly or watch closely:
// what the operator's URL and a slow gateway mean for a text.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { HttpGatewaySmsSender } from './http-gateway.ts';
import { SmsDeliveryError } from './sms.ts';

async function listen(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test("the gateway URL's path and query are kept, and texts reuse kept-alive connections", async () => {
  const seen: { url: string | undefined; body: string }[] = [];
  const sockets = new Set<unknown>();
  const { url, server } = await listen((req, res) => {
    sockets.add(req.socket);
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url, body });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"queued":true}');
    });
  });
  const sender = new HttpGatewaySmsSender({ url: `${url}/v2/sms?account=ministry`, token: 't' });
  try {
    for (let i = 0; i < 5; i++) await sender.send({ to: '9876543210', text: `text ${i}` });
    assert.deepEqual(seen.map((s) => s.url), Array(5).fill('/v2/sms?account=ministry'));
    assert.deepEqual(JSON.parse(seen[4]!.body), { to: '+919876543210', text: 'text 4' });
    assert.ok(sockets.size < 5, `kept alive: ${sockets.size} connections for five texts sent one after another`);
  } finally {
    sender.close();
    server.close();
  }
});

test('a gateway that takes the text but never answers fails it as retryable once the timeout passes', async () => {
  const { url, server } = await listen(() => undefined);
  const sender = new HttpGatewaySmsSender({ url: `${url}/sms`, token: 't', timeoutMs: 300 });
  try {
    const started = Date.now();
    const err = await sender.send({ to: '9876543210', text: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof SmsDeliveryError && err.retryable, String(err));
    assert.ok(Date.now() - started < 3000, 'given up after its own timeout (300 ms), not the default 5 s');
  } finally {
    sender.close();
    server.closeAllConnections();
    server.close();
  }
});

test('an answer cut off before its end is retryable', async () => {
  const { url, server } = await listen((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    setImmediate(() => res.socket?.destroy());
  });
  const sender = new HttpGatewaySmsSender({ url: `${url}/sms`, token: 't' });
  try {
    const err = await sender.send({ to: '9876543210', text: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof SmsDeliveryError && err.retryable, String(err));
  } finally {
    sender.close();
    server.close();
  }
});
