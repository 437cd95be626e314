// Privacy in the real process output and on disk. The service runs as its own process at its
// shipped log level, texts going to a fake SMS gateway; a full run of flows — shared, refused,
// server to server, unregistered, wrong name, wrong codes, a locked session, a rate-limited
// mobile, a failing gateway, bad input carrying mobile numbers and codes, a graceful stop —
// then everything the process wrote to stdout and stderr, and every file of its data dir, is
// searched for the flows' mobile numbers (in the forms people write them), the OTPs, the names,
// the tokens, consent tickets and keys. (server/store/privacy.test.ts does the same in-process.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { type ChildServer, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { type ApiResponse, DEMO, type Person } from '../test-support/harness.ts';

const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
let server: ChildServer | null = null;
after(async () => {
  await server?.cleanup();
  await gateway.close();
});

const GATEWAY_TOKEN = 'gw-secret-token-0123456789';
const RATE_LIMITED: Person = { mobile: '9000000077', name: 'Pumped Target' };

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** `needle` as a whole token: not inside a longer run of digits (timestamps hold any 6 digits). */
function containsDigits(haystack: string, needle: string): boolean {
  return new RegExp(`(?<![0-9])${needle}(?![0-9])`).test(haystack);
}

/** The forms a number is written in: 9876543210, +919876543210, 98765 43210, 98765-43210. */
function mobileForms(mobile: string): RegExp[] {
  const a = mobile.slice(0, 5);
  const b = mobile.slice(5);
  return [new RegExp(`(?<![0-9])(\\+?91)?0?${mobile}(?![0-9])`), new RegExp(`${a}[ -]${b}`)];
}

test('after a full run, the process’s stdout/stderr and its data dir hold no mobile number, OTP, name, token, ticket or key', async (t) => {
  const s = (server = await spawnServer({
    env: {
      KYCVS_SMS_GATEWAY_URL: gatewayUrl,
      KYCVS_SMS_GATEWAY_TOKEN: GATEWAY_TOKEN,
      KYCVS_SMS_PER_MOBILE_HOUR: '3',
      LOG_LEVEL: undefined, // the shipped default
    },
  }));
  // Keys and consent tickets are stored only as keyed hashes, so they are searched for everywhere;
  // tokens only in the output (the session keeps its token for the host to read back, by design).
  const secrets: string[] = [DEMO.railway.apiKey, DEMO.hotel.apiKey, GATEWAY_TOKEN];
  const tokens: string[] = [];
  const widget = { client_id: DEMO.hotel.id, origin: DEMO.origin };
  const codeFor = async (person: Person, nth: number) => gateway.otp((m) => m.to === `+91${person.mobile}`, { nth });
  const sent = (person: Person) => gateway.to(person.mobile).length;
  const answers: ApiResponse[] = [];
  const call = async (...args: Parameters<ChildServer['api']>) => {
    const res = await s.api(...args);
    answers.push(res);
    return res;
  };

  // 1. Widget flow, shared.
  let id = (await call('POST', '/v1/sessions', { json: widget })).body.session_id;
  let n = sent(DEMO.asha);
  await call('POST', `/v1/sessions/${id}/otp`, { json: { mobile: '+91 98765 43210', name: DEMO.asha.name } });
  let otp = await codeFor(DEMO.asha, n + 1);
  let ticket = (await call('POST', `/v1/sessions/${id}/otp/verify`, { json: { otp } })).body.consent_ticket;
  const shared = await call('POST', `/v1/sessions/${id}/consent`, { json: { decision: 'allow', consent_ticket: ticket } });
  assert.equal(shared.status, 200, shared.text);
  secrets.push(ticket);
  tokens.push(shared.body.token);

  // 2. Widget flow, refused.
  id = (await call('POST', '/v1/sessions', { json: widget })).body.session_id;
  n = sent(DEMO.ravi);
  await call('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.ravi.mobile, name: DEMO.ravi.name } });
  otp = await codeFor(DEMO.ravi, n + 1);
  ticket = (await call('POST', `/v1/sessions/${id}/otp/verify`, { json: { otp } })).body.consent_ticket;
  assert.equal((await call('POST', `/v1/sessions/${id}/consent`, { json: { decision: 'deny', consent_ticket: ticket } })).status, 200);
  secrets.push(ticket);

  // 3. Server to server, a wrong code first; the gateway fails once (retried).
  gateway.script = [503];
  n = sent(DEMO.arjun);
  const created = await call('POST', '/v1/sessions', { apiKey: DEMO.hotel.apiKey, json: { mobile: '09123456780', name: DEMO.arjun.name, nonce: 'n-1' } });
  otp = await codeFor(DEMO.arjun, n + 2);
  await call('POST', `/v1/sessions/${created.body.session_id}/otp/verify`, { apiKey: DEMO.hotel.apiKey, json: { otp: otp === '000000' ? '000001' : '000000' } });
  const inline = await call('POST', `/v1/sessions/${created.body.session_id}/otp/verify`, { apiKey: DEMO.hotel.apiKey, json: { otp, consent: true } });
  assert.equal(inline.status, 200, inline.text);
  tokens.push(inline.body.token);

  // 4. A registered mobile under a name not on it; an unregistered mobile; a gateway that refuses outright.
  gateway.script = [400];
  id = (await call('POST', '/v1/sessions', { json: widget })).body.session_id;
  await call('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.meera.mobile, name: 'Somebody Else' } });
  id = (await call('POST', '/v1/sessions', { json: widget })).body.session_id;
  await call('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.unregistered.mobile, name: DEMO.unregistered.name } });

  // 5. A session locked by wrong codes, with the right code tried after.
  id = (await call('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} })).body.session_id;
  n = sent(DEMO.arjun);
  await call('POST', `/v1/sessions/${id}/otp`, { apiKey: DEMO.railway.apiKey, json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } });
  otp = await codeFor(DEMO.arjun, n + 1);
  for (let i = 0; i < 5; i++) await call('POST', `/v1/sessions/${id}/otp/verify`, { apiKey: DEMO.railway.apiKey, json: { otp: String((Number(otp) + 1 + i) % 1e6).padStart(6, '0') } });
  assert.equal((await call('POST', `/v1/sessions/${id}/otp/verify`, { apiKey: DEMO.railway.apiKey, json: { otp } })).status, 429);

  // 6. A mobile pumped past its hourly cap.
  for (let i = 0; i < 5; i++) {
    const sid = (await call('POST', '/v1/sessions', { json: widget })).body.session_id;
    await call('POST', `/v1/sessions/${sid}/otp`, { json: RATE_LIMITED });
  }
  assert.ok(answers.some((a) => a.status === 429 && a.body?.error === 'rate_limited'));

  // 7. Bad input that carries numbers and codes where they do not belong.
  id = (await call('POST', '/v1/sessions', { json: widget })).body.session_id;
  await call('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name, phone: DEMO.asha.mobile } });
  await call('POST', `/v1/sessions/${id}/otp`, { json: { mobile: `${DEMO.asha.mobile}x`, name: DEMO.asha.name } });
  await call('POST', `/v1/sessions/${id}/otp`, { raw: `{"mobile":"${DEMO.asha.mobile}","name":`, headers: { 'content-type': 'application/json' } });
  await call('POST', `/v1/sessions/${id}/otp`, { raw: `mobile=${DEMO.asha.mobile}&name=Asha`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await call('POST', `/v1/sessions/${id}/otp/verify`, { json: { otp, code: otp } });
  await call('GET', `/v1/sessions/${DEMO.asha.mobile}?mobile=${DEMO.asha.mobile}&otp=${otp}`, { apiKey: DEMO.railway.apiKey });
  await call('GET', `/v1/lookup/${DEMO.arjun.mobile}`);
  await call('POST', '/v1/sessions', { json: { client_id: DEMO.hotel.id, origin: DEMO.origin, mobile: DEMO.arjun.mobile } });
  for (const a of answers) assert.ok(a.status < 500, `${a.status} ${a.text}`);

  // The data dir while the service runs (the WAL holds the latest writes), then after a graceful stop.
  const readData = (when: string) =>
    files(s.dataDir).map((f) => ({ name: `${path.relative(s.dataDir, f)} (${when})`, text: fs.readFileSync(f).toString('latin1'), utf16: fs.readFileSync(f).toString('utf16le') }));
  const whileRunning = readData('running');
  assert.ok(whileRunning.some((f) => f.name.startsWith('kycvs.sqlite-wal')), 'a WAL to look into');
  // A graceful stop, so the shutdown and the last texts are in the output too.
  assert.deepEqual(await s.kill('SIGTERM'), { code: 0, signal: null });
  server = null;

  const otps = gateway.otps();
  const mobiles = [DEMO.asha.mobile, DEMO.arjun.mobile, DEMO.unregistered.mobile, RATE_LIMITED.mobile];
  const names = ['Asha', 'Ravi', 'Meera', 'Arjun', 'Verma', 'Singh', 'Nobody Known', 'Somebody Else', 'Pumped Target'];
  const output = [...s.stdout, ...s.stderr].join('\n');
  const dataFiles = [...whileRunning, ...readData('stopped')];
  const places = [{ name: 'process output', text: output, utf16: '', isOutput: true }, ...dataFiles.map((f) => ({ ...f, isOutput: false }))];
  const found: string[] = [];
  for (const place of places) {
    for (const m of mobiles) for (const form of mobileForms(m)) if (form.test(place.text) || form.test(place.utf16)) found.push(`${place.name}: mobile ${m}`);
    for (const o of otps) if (containsDigits(place.text, o)) found.push(`${place.name}: OTP ${o}`);
    for (const secret of secrets) if (place.text.includes(secret)) found.push(`${place.name}: ticket or key ${secret.slice(0, 12)}…`);
    // The registry holds names by design (to match them); the output may not.
    if (!place.isOutput) continue;
    for (const word of names) if (place.text.includes(word)) found.push(`${place.name}: name ${word}`);
    for (const token of tokens) if (place.text.includes(token)) found.push(`${place.name}: token ${token.slice(0, 12)}…`);
  }
  t.diagnostic(
    `figure: privacy: ${answers.length} requests, ${gateway.messages.length} texts (${otps.length} OTPs), ${s.stdout.length + s.stderr.length} output lines ` +
      `and ${dataFiles.length} data-dir files (while running, WAL included, and after the stop) searched → ${found.length} findings`,
  );
  assert.ok(s.stdout.filter((l) => l.includes('"msg":"request"')).length >= answers.length, 'every request was logged');
  assert.ok(output.includes('otp sms not delivered') && output.includes('otp sms delivered'), 'the SMS outcomes were logged');
  assert.deepEqual(found, []);
});
