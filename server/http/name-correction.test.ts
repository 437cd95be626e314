// Issue 10, item 1: a typo in the name must not become a signed "not vaccinated". After a right
// code whose name matched no one, the code's holder in the frame may correct the name (3 tries, no
// new SMS) or pick from the names on the mobile; a match is what a later allow signs for. Over real
// HTTP, with tokens checked against the served JWKS as a verifier would.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { verifyStatusToken } from '@kycvs/verifier';
import { NAME_TRIES_PER_SESSION } from '../../protocol/api.ts';
import {
  DEMO,
  OTP_IN_TEXT,
  RAILWAY,
  RAILWAY_WIDGET,
  type ApiResponse,
  type Person,
  assertApiError,
  consent,
  createSession,
  decodeJws,
  outbox,
  requestOtp,
  startTestServer,
  tokenFor,
  verifyOtp,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const TYPO: Person = { mobile: DEMO.asha.mobile, name: 'Asha  Varma' };
let nonces = 0;

const correctName = (id: string, ticket: string, name: string, apiKey?: string) =>
  server.api('POST', `/v1/sessions/${id}/name`, { json: { consent_ticket: ticket, name }, ...(apiKey ? { apiKey } : {}) });
const members = (id: string, ticket: string, apiKey?: string) =>
  server.api('POST', `/v1/sessions/${id}/members`, { json: { consent_ticket: ticket }, ...(apiKey ? { apiKey } : {}) });

/** The frame's path up to a right code for `person`; the session's nonce for checking the token. */
async function verifiedInFrame(person: Person): Promise<{ id: string; ticket: string; nonce: string }> {
  const nonce = `nc-${++nonces}`;
  const id = await createSession(server, RAILWAY_WIDGET, { nonce });
  const verified = await verifyOtp(server, id, await requestOtp(server, id, person));
  assert.equal(verified.status, 200, verified.text);
  return { id, ticket: verified.body.consent_ticket, nonce };
}

/** The answers of /name and /members carry exactly these keys: no status, no id, nothing about anyone else. */
function assertShape(res: ApiResponse, keys: string[]): void {
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.body).sort(), keys);
  assert.doesNotMatch(res.text, /status|vaccin|DEMO-|COVISHIELD|COVAXIN|\d{10}/i);
}

async function verifiedToken(token: string, nonce: string, sessionId: string) {
  return verifyStatusToken(token, { issuer: server.url, audience: DEMO.railway.id, nonce, sessionId });
}

describe('correcting the name after the code', () => {
  test('a typo corrected to the right name: the allow signs that person’s status, under their own pseudonym', async () => {
    const { id, ticket, nonce } = await verifiedInFrame(TYPO);
    const texts = (await outbox(server, TYPO.mobile)).length;
    const fixed = await correctName(id, ticket, 'asha verma');
    assertShape(fixed, ['name_matched', 'name_tries_left']);
    assert.deepEqual(fixed.body, { name_matched: true, name_tries_left: NAME_TRIES_PER_SESSION - 1 });
    assert.equal((await outbox(server, TYPO.mobile)).length, texts, 'no new SMS');

    const allowed = await consent(server, id, 'allow', ticket);
    assert.equal(allowed.status, 200, allowed.text);
    const claims = await verifiedToken(allowed.body.token, nonce, id);
    assert.equal(claims.status, DEMO.asha.status);
    // The same `sub` this verifier gets when Asha types her name right the first time.
    const direct = await tokenFor(server, DEMO.asha);
    assert.equal(claims.claims.sub, decodeJws(direct.token).payload.sub);
  });

  test('three wrong names: each counted, then name_tries_exhausted and no fourth, not even the right one; nothing can be shared', async () => {
    const { id, ticket } = await verifiedInFrame(TYPO);
    for (let left = NAME_TRIES_PER_SESSION - 1; left >= 0; left--) {
      const miss = await correctName(id, ticket, `Asha Varma ${'x'.repeat(left + 1)}`);
      assertShape(miss, ['name_matched', 'name_tries_left']);
      assert.deepEqual(miss.body, { name_matched: false, name_tries_left: left });
    }
    assertApiError(await correctName(id, ticket, DEMO.asha.name), 'name_tries_exhausted');
    assertApiError(await members(id, ticket), 'name_tries_exhausted');
    assertApiError(await consent(server, id, 'allow', ticket), 'name_not_matched');
    // The citizen can still end it: a refusal is recorded as for any session.
    assert.equal((await consent(server, id, 'deny', ticket)).status, 200);
  });

  test('the names on the mobile, names only; a pick goes through /name and is what gets signed', async () => {
    const { id, ticket, nonce } = await verifiedInFrame(TYPO);
    const listed = await members(id, ticket);
    assertShape(listed, ['names']);
    assert.deepEqual(listed.body, { names: ['Asha Verma', 'Meera Verma', 'Ravi Verma'] });
    // Listing is not a try.
    const picked = await correctName(id, ticket, 'Ravi Verma');
    assert.deepEqual(picked.body, { name_matched: true, name_tries_left: NAME_TRIES_PER_SESSION - 1 });
    const allowed = await consent(server, id, 'allow', ticket);
    assert.equal((await verifiedToken(allowed.body.token, nonce, id)).status, DEMO.ravi.status);
    // After the match there is nothing left to correct or list.
    assertApiError(await correctName(id, ticket, 'Asha Verma'), 'invalid_state');
  });

  test('a matched person whose status is 0 is shared as 0: the rule is about matching, not about the value', async () => {
    const { id, ticket, nonce } = await verifiedInFrame(TYPO);
    assert.equal((await correctName(id, ticket, 'Meera Verma')).body.name_matched, true);
    const allowed = await consent(server, id, 'allow', ticket);
    assert.equal((await verifiedToken(allowed.body.token, nonce, id)).status, 0);
  });
});

describe('who may correct', () => {
  test('a caller with an API key gets 403 forbidden, with the frame’s ticket or a ticket of its own', async () => {
    const { id, ticket } = await verifiedInFrame(TYPO);
    assertApiError(await correctName(id, ticket, DEMO.asha.name, DEMO.railway.apiKey), 'forbidden', 'key, frame ticket');
    assertApiError(await members(id, ticket, DEMO.railway.apiKey), 'forbidden', 'key, frame ticket, members');

    // A host backend that checked the code itself (its own app, no consent yet) holds a ticket: not a frame's.
    const own = await createSession(server, RAILWAY);
    const verified = await verifyOtp(server, own, await requestOtp(server, own, TYPO, RAILWAY), RAILWAY);
    const backendTicket = verified.body.consent_ticket as string;
    assertApiError(await correctName(own, backendTicket, DEMO.asha.name, DEMO.railway.apiKey), 'forbidden', 'key, own ticket');
    assertApiError(await correctName(own, backendTicket, DEMO.asha.name), 'forbidden', 'keyless, backend ticket');
    assertApiError(await members(own, backendTicket), 'forbidden', 'keyless, backend ticket, members');
  });

  test('a name the host backend fixed at creation: 409 name_fixed_by_host, in the frame too; the check can only end', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: TYPO.mobile, name: TYPO.name } });
    assert.equal(created.status, 201, created.text);
    const id = created.body.session_id as string;
    const otp = OTP_IN_TEXT.exec((await outbox(server, TYPO.mobile))[0]!.text)![1]!;
    const verified = await verifyOtp(server, id, otp);
    assert.equal(verified.body.name_matched, false);
    assertApiError(await correctName(id, verified.body.consent_ticket, DEMO.asha.name), 'name_fixed_by_host');
    assertApiError(await members(id, verified.body.consent_ticket), 'name_fixed_by_host');
    assertApiError(await consent(server, id, 'allow', verified.body.consent_ticket), 'name_not_matched');
  });

  test('without the ticket, before the code or after the decision: refused; bad bodies are 400', async () => {
    const { id, ticket } = await verifiedInFrame(TYPO);
    assertApiError(await correctName(id, 'not-the-ticket', DEMO.asha.name), 'forbidden');
    assertApiError(await members(id, 'not-the-ticket'), 'forbidden');
    assertApiError(await correctName(id, ticket, '  ,. '), 'invalid_request', 'a name without letters');
    assertApiError(await server.api('POST', `/v1/sessions/${id}/members`, { json: { consent_ticket: ticket, mobile: TYPO.mobile } }), 'invalid_request');
    assertApiError(await server.api('GET', `/v1/sessions/${id}/members`), 'method_not_allowed');

    const early = await createSession(server, RAILWAY_WIDGET);
    await requestOtp(server, early, TYPO);
    assertApiError(await correctName(early, ticket, DEMO.asha.name), 'invalid_state', 'before the code');

    assert.equal((await consent(server, id, 'deny', ticket)).status, 200);
    assertApiError(await correctName(id, ticket, DEMO.asha.name), 'invalid_state', 'after the decision');
    assertApiError(await members(id, ticket), 'invalid_state', 'after the decision');
  });
});
