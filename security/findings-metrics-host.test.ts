// Finding (outside review, issue 9 item 7): /metrics trusted any loopback caller and ignored the
// Host header, so a web page on the operator's machine could read it by DNS rebinding (its own
// name made to resolve to 127.0.0.1: the browser then sends that name as Host, from loopback).
// Now /metrics answers only when Host names the configured issuer's host or a loopback name
// (localhost, 127.0.0.1, [::1], any port); otherwise 404 not_found, as if there were no such route.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import { API_ERRORS } from '../protocol/api.ts';
import { startTestServer } from '../test-support/harness.ts';

// The issuer is a public name the service is reached by through a proxy on the same machine.
const server = await startTestServer({ env: { KYCVS_ISSUER: 'https://kycvs.example.gov.in' } });
after(() => server.close());
const port = new URL(server.url).port;

/** GET path with exactly this Host header (or none), as a browser or a script would send it. */
function getWithHost(path: string, host: string | null): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', setHost: host !== null, headers: host === null ? {} : { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('finding: /metrics readable through DNS rebinding', () => {
  test('a rebinding page’s Host (its own name, from loopback) gets 404 not_found, no metrics', async (t) => {
    const foreign = [
      `rebind.attacker.example:${port}`,
      'rebind.attacker.example',
      `127.0.0.1.nip.io:${port}`,
      `localhost.attacker.example:${port}`,
      `kycvs.example.gov.in.attacker.example`,
      `127.0.0.2:${port}`,
      `evil.example@127.0.0.1:${port}`,
      `127.0.0.1:${port}/x`,
    ];
    for (const host of foreign) {
      const res = await getWithHost('/metrics', host);
      assert.equal(res.status, API_ERRORS.not_found, `Host: ${host} → ${res.status} ${res.body.slice(0, 80)}`);
      assert.equal(JSON.parse(res.body).error, 'not_found', host);
      assert.ok(!res.body.includes('kycvs_'), `Host: ${host}: no metric in the answer`);
    }
    const none = await getWithHost('/metrics', null);
    assert.ok(none.status === 400 || none.status === 404, `no Host header at all: ${none.status} (Node refuses it before we see it)`);
    assert.ok(!none.body.includes('kycvs_'), 'no Host: no metric');
    t.diagnostic(`figure: /metrics from loopback with ${foreign.length} foreign Host headers → ${foreign.length} × 404 not_found; none → ${none.status}`);
  });

  test('the issuer’s host and the loopback names, with any port or none, still read the metrics', async () => {
    for (const host of ['kycvs.example.gov.in', 'KYCVS.example.gov.in:443', `localhost:${port}`, 'localhost', `127.0.0.1:${port}`, `[::1]:${port}`, '[::1]']) {
      const res = await getWithHost('/metrics', host);
      assert.equal(res.status, 200, `Host: ${host} → ${res.status} ${res.body.slice(0, 80)}`);
      assert.match(res.body, /kycvs_otp_requests_total/, host);
    }
  });

  test('other routes do not depend on Host (discovery behind any proxy name)', async () => {
    const res = await getWithHost('/healthz', `rebind.attacker.example:${port}`);
    assert.equal(res.status, 200);
  });
});
