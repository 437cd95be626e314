// Privacy at rest and in logs: after real flows, the SQLite file and its WAL hold no plaintext
// mobile number and no OTP, and the logs hold neither, nor names, tokens or consent tickets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DATABASE_FILE } from '../services.ts';
import {
  DEMO,
  HOTEL,
  OTP_IN_TEXT,
  RAILWAY,
  RAILWAY_WIDGET,
  consent,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  tokenFor,
  verifiedSession,
  verifyOtp,
  wrongOtp,
} from '../../test-support/harness.ts';

test('after every kind of flow, no mobile number or OTP is in the database files or the logs', async () => {
  const server = await startTestServer();
  const otps: string[] = [];
  const secrets: string[] = [];
  try {
    // Widget flow, allowed.
    const shared = await tokenFor(server, DEMO.asha);
    secrets.push(shared.token, shared.verify.body.consent_ticket);
    // Widget flow, denied.
    const denied = await verifiedSession(server, DEMO.ravi);
    secrets.push(denied.ticket);
    assert.equal((await consent(server, denied.sessionId, 'deny', denied.ticket)).status, 200);
    // Server-to-server with the mobile at creation, a wrong try first, then consent inline.
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.hotel.apiKey, json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } });
    const arjunOtp = OTP_IN_TEXT.exec((await outbox(server, DEMO.arjun.mobile))[0]!.text)![1]!;
    await verifyOtp(server, created.body.session_id, wrongOtp(arjunOtp), HOTEL);
    const inline = await verifyOtp(server, created.body.session_id, arjunOtp, HOTEL, true);
    assert.equal(inline.status, 200);
    secrets.push(inline.body.token);
    // Unregistered mobile; registered mobile with a name not on it; a session left at otp_sent.
    await server.api('POST', `/v1/sessions/${await createSession(server, RAILWAY_WIDGET)}/otp`, { json: { mobile: DEMO.unregistered.mobile, name: DEMO.unregistered.name } });
    otps.push(await requestOtp(server, await createSession(server, RAILWAY_WIDGET), { mobile: DEMO.meera.mobile, name: 'Not Meera' }));
    otps.push(await requestOtp(server, await createSession(server, RAILWAY), DEMO.meera));
    otps.push(
      arjunOtp,
      ...(await outbox(server, DEMO.asha.mobile)).map((m) => OTP_IN_TEXT.exec(m.text)![1]!),
    );

    const mobiles = [DEMO.asha.mobile, DEMO.arjun.mobile, DEMO.unregistered.mobile];
    const dbFiles = () =>
      fs.readdirSync(server.dataDir).filter((f) => f.startsWith(DATABASE_FILE)).map((f) => path.join(server.dataDir, f));
    const assertClean = (label: string) => {
      const files = dbFiles();
      assert.ok(files.some((f) => f.endsWith('-wal')), `${label}: WAL mode, so there is a WAL to look into`);
      for (const file of files) {
        const bytes = fs.readFileSync(file);
        for (const mobile of mobiles) {
          for (const encoding of ['utf8', 'utf16le'] as const) {
            assert.equal(bytes.indexOf(Buffer.from(mobile, encoding)), -1, `${label}: ${path.basename(file)} holds mobile ${mobile} (${encoding})`);
          }
        }
        for (const otp of otps) assert.equal(bytes.indexOf(Buffer.from(otp)), -1, `${label}: ${path.basename(file)} holds OTP ${otp}`);
      }
    };
    assertClean('while running');

    const logText = server.logs.join('\n');
    assert.ok(server.logs.length > 10, 'the service did log its requests');
    for (const mobile of mobiles) assert.ok(!logText.includes(mobile), `logs hold mobile ${mobile}`);
    for (const otp of otps) assert.ok(!logText.includes(otp), `logs hold OTP ${otp}`);
    for (const word of ['Asha', 'Ravi', 'Arjun', 'Verma', 'Singh']) assert.ok(!logText.includes(word), `logs hold the name ${word}`);
    for (const secret of secrets) assert.ok(!logText.includes(secret), 'logs hold a token or consent ticket');
    assert.ok(!logText.includes(DEMO.hotel.apiKey), 'logs hold an API key');

    await server.services.sms.drain();
    server.services.db!.pragma('wal_checkpoint(TRUNCATE)');
    assertClean('after a checkpoint');
  } finally {
    await server.close();
  }
});
