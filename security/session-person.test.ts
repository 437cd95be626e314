// Finding 3 of the outside review: a session made by a host backend for one person could be sent
// a code for another mobile by anyone holding its id (the id is handed to the page), silently
// replacing the person. Now the first code (or the backend, at creation) fixes the person.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DEMO, RAILWAY_WIDGET, assertApiError, createSession, startTestServer } from '../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const sendCode = (sessionId: string, { mobile, name }: { mobile: string; name: string }) =>
  server.api('POST', `/v1/sessions/${sessionId}/otp`, { json: { mobile, name } });
const view = (sessionId: string) => server.api('GET', `/v1/sessions/${sessionId}`, { apiKey: DEMO.railway.apiKey });

describe('the person of a session is fixed', () => {
  test('by the backend at creation: a code for another mobile or name is 409 person_mismatch; the same person passes that check', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } });
    assert.equal(created.status, 201, created.text);
    const sessionId = created.body.session_id as string;
    assertApiError(await sendCode(sessionId, DEMO.arjun), 'person_mismatch', 'another mobile');
    assertApiError(await sendCode(sessionId, DEMO.ravi), 'person_mismatch', 'same mobile, another name');
    // Spelled differently but the same name as matching sees it: the same person, so only the resend wait applies.
    assertApiError(await sendCode(sessionId, { mobile: `+91 ${DEMO.asha.mobile}`, name: 'VERMA asha' }), 'resend_too_soon');
    const read = await view(sessionId);
    assert.equal(read.body.person_fixed_by, 'backend');
    assert.doesNotMatch(read.text, new RegExp(`${DEMO.asha.mobile}|Asha|Verma`, 'i'), 'nothing about the person');
  });

  test('by the first code otherwise: a later code for someone else is refused, and the view says the citizen fixed it', async () => {
    const sessionId = await createSession(server, RAILWAY_WIDGET);
    assert.equal((await view(sessionId)).body.person_fixed_by, null);
    assert.equal((await sendCode(sessionId, DEMO.asha)).status, 202);
    assertApiError(await sendCode(sessionId, DEMO.arjun), 'person_mismatch');
    assert.equal((await view(sessionId)).body.person_fixed_by, 'citizen');
  });

  test('racing first codes for two people: one person wins, the other is refused', async () => {
    for (let round = 0; round < 5; round++) {
      const sessionId = await createSession(server, RAILWAY_WIDGET);
      const answers = await Promise.all([sendCode(sessionId, DEMO.asha), sendCode(sessionId, DEMO.arjun)]);
      const accepted = answers.filter((r) => r.status === 202);
      assert.equal(accepted.length, 1, answers.map((r) => r.text).join(' | '));
      const refused = answers.find((r) => r.status !== 202)!;
      assert.ok(['person_mismatch', 'invalid_state'].includes(refused.body.error), refused.text);
    }
  });
});
