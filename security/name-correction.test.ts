// Attacks on name correction (issue 10): /name and /members tell who is registered on a mobile,
// so they must answer only the holder of that mobile's code, in the frame. A host backend (API key),
// a page holding only the session id, another session's ticket, racing requests and the logs are
// tried here; the host page's view of the frame is e2e/side-channels.spec.ts.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { NAME_TRIES_PER_SESSION } from '../protocol/api.ts';
import {
  DEMO,
  OTP_IN_TEXT,
  RAILWAY,
  RAILWAY_WIDGET,
  type Person,
  assertApiError,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  verifyOtp,
} from '../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const TYPO: Person = { mobile: DEMO.asha.mobile, name: 'Asha Varma' };

const tryName = (id: string, ticket: string, name: string, apiKey?: string) =>
  server.api('POST', `/v1/sessions/${id}/name`, { json: { consent_ticket: ticket, name }, ...(apiKey ? { apiKey } : {}) });
const members = (id: string, ticket: string, apiKey?: string) =>
  server.api('POST', `/v1/sessions/${id}/members`, { json: { consent_ticket: ticket }, ...(apiKey ? { apiKey } : {}) });

async function frameVerified(person: Person): Promise<{ id: string; ticket: string }> {
  const id = await createSession(server, RAILWAY_WIDGET);
  const verified = await verifyOtp(server, id, await requestOtp(server, id, person));
  assert.equal(verified.status, 200, verified.text);
  return { id, ticket: verified.body.consent_ticket };
}

describe('who is on a mobile is told only to the holder of its code, in the frame', () => {
  test('a host backend cannot list or probe names: not with its key, not with a ticket it got itself, not on a session it fixed', async () => {
    // Its own session, its own app collecting the code (as the host backend may): its ticket is a backend's.
    const own = await createSession(server, RAILWAY);
    const verified = await verifyOtp(server, own, await requestOtp(server, own, TYPO, RAILWAY), RAILWAY);
    for (const key of [DEMO.railway.apiKey, undefined]) {
      assertApiError(await members(own, verified.body.consent_ticket, key), 'forbidden', `backend ticket, key ${Boolean(key)}`);
      assertApiError(await tryName(own, verified.body.consent_ticket, DEMO.ravi.name, key), 'forbidden', `backend ticket, key ${Boolean(key)}`);
    }
    // Mobile and a guessed name fixed at creation, the code entered in the frame: still nothing to learn.
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: TYPO.mobile, name: 'Guess Name' } });
    const otp = OTP_IN_TEXT.exec((await outbox(server, TYPO.mobile))[0]!.text)![1]!;
    const frame = await verifyOtp(server, created.body.session_id, otp);
    assertApiError(await members(created.body.session_id, frame.body.consent_ticket), 'name_fixed_by_host');
    assertApiError(await tryName(created.body.session_id, frame.body.consent_ticket, DEMO.ravi.name), 'name_fixed_by_host');
  });

  test('a page that knows the session id but not the ticket, or holds another session’s ticket, gets 403', async () => {
    const victim = await frameVerified(TYPO);
    const attacker = await frameVerified({ mobile: DEMO.arjun.mobile, name: 'Arjun Sing' });
    for (const ticket of ['', 'x'.repeat(32), attacker.ticket]) {
      assertApiError(await members(victim.id, ticket), ticket === '' ? 'invalid_request' : 'forbidden');
      assertApiError(await tryName(victim.id, ticket, DEMO.asha.name), ticket === '' ? 'invalid_request' : 'forbidden');
    }
    // The victim's session is untouched: no try was counted.
    assert.equal((await server.services.sessions.get(victim.id))!.nameTries, 0);
  });

  test('a name registered on another mobile matches nothing here, exactly like a made-up one', async () => {
    const { id, ticket } = await frameVerified(TYPO);
    const elsewhere = await tryName(id, ticket, DEMO.arjun.name);
    const madeUp = await tryName(id, ticket, 'Made Up Person');
    assert.deepEqual(elsewhere.body, { name_matched: false, name_tries_left: NAME_TRIES_PER_SESSION - 1 });
    assert.deepEqual(madeUp.body, { name_matched: false, name_tries_left: NAME_TRIES_PER_SESSION - 2 });
  });

  test('racing tries cannot exceed the limit: of 12 at once, at most 3 are counted', async () => {
    const { id, ticket } = await frameVerified(TYPO);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => tryName(id, ticket, `Wrong Name ${String.fromCharCode(97 + i)}`)));
    const counted = answers.filter((a) => a.status === 200);
    assert.ok(counted.length >= 1 && counted.length <= NAME_TRIES_PER_SESSION, `${counted.length} counted`);
    for (const refusedTry of answers.filter((a) => a.status !== 200)) {
      assert.ok(['invalid_state', 'name_tries_exhausted'].includes(refusedTry.body.error), refusedTry.text);
    }
    assert.ok((await server.services.sessions.get(id))!.nameTries <= NAME_TRIES_PER_SESSION);
  });

  test('the logs carry no name tried or listed, no ticket and no mobile', async () => {
    const { id, ticket } = await frameVerified({ mobile: DEMO.asha.mobile, name: 'Ashaa Verma' });
    await members(id, ticket);
    await tryName(id, ticket, 'Asha Verma');
    const logs = server.logs.join('\n');
    // The requests were logged (by route), so the check below looks at real lines.
    assert.match(logs, /\/v1\/sessions\/:id\/members/);
    assert.match(logs, /\/v1\/sessions\/:id\/name/);
    for (const secret of ['Ashaa', 'Asha Verma', 'Meera', 'Ravi', ticket, DEMO.asha.mobile]) {
      assert.ok(!logs.includes(secret), `logs contain ${secret}`);
    }
  });
});
