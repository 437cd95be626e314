import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { CreateSessionResponse, SessionContext, SessionView } from '../../../protocol/api.ts';
import { runSteps } from '../flow-context.ts';
import type { Session } from '../session-store.ts';
import { deliverCode } from './deliver-code.ts';
import { issueCode } from './issue-code.ts';
import { keyPerson } from './key-person.ts';
import { lookUpRecord } from './look-up-record.ts';
import { type NewSessionInput, newSession } from './new-session.ts';
import { respondCodeSent, respondContext, respondCreated, respondView } from './respond.ts';
import { PEOPLE, type Person, STORED_STATES, openStepKit } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const view = async (session: Session) => {
  const c = kit.ctx({}, { session, caller: await kit.backend(session.clientId) });
  respondView(c);
  return c.answer as SessionView;
};
/** Nothing in an answer says who the person is, or what their record holds. */
const assertNothingOfThePerson = (answer: unknown, where: string) => {
  const text = JSON.stringify(answer);
  assert.doesNotMatch(text, /9876543210|asha|verma|covishield|beneficiary/i, where);
  assert.doesNotMatch(text, /DEMO-ASHA|name_matched|mobile|subject/, where);
};

describe('respondView', () => {
  test('no status and no token before completed, in any state', async () => {
    for (const state of STORED_STATES.filter((s) => s !== 'completed')) {
      const answer = await view((await kit.session(state, { person: PEOPLE.asha })).session);
      assert.equal(answer.state, state);
      assert.ok(!('vaccination_status' in answer) && !('token' in answer), `${state}: ${JSON.stringify(answer)}`);
      assertNothingOfThePerson(answer, state);
    }
  });

  test('once completed: the status and the token that was recorded with the allow', async () => {
    const { session } = await kit.session('completed', { person: PEOPLE.asha, nonce: 'n-1' });
    const answer = await view(session);
    assert.equal(answer.state, 'completed');
    assert.equal(answer.vaccination_status, 2);
    assert.equal(answer.token, session.token);
    assert.equal(answer.nonce, 'n-1');
    const [audit] = await kit.services.audit.forSession(session.id);
    assert.equal(audit?.tokenJti, session.tokenJti);
  });

  test('says who fixed the person (backend, citizen, nobody yet), never who it is', async () => {
    assert.equal((await view((await kit.session('otp_sent', { fixedBy: 'backend' })).session)).person_fixed_by, 'backend');
    const citizen = await view((await kit.session('otp_sent', { fixedBy: 'citizen' })).session);
    assert.equal(citizen.person_fixed_by, 'citizen');
    assertNothingOfThePerson(citizen, 'citizen-fixed');
    assert.equal((await view((await kit.session('created')).session)).person_fixed_by, null);
  });

  test('a live session past its expiry reads expired; an ended one keeps its outcome and token', async () => {
    const past = { createdAt: Date.now() - 700_000, expiresAt: Date.now() - 1000 };
    assert.equal((await view((await kit.session('verified', past)).session)).state, 'expired');
    const done = await view((await kit.session('completed', past)).session);
    assert.equal(done.state, 'completed');
    assert.equal(typeof done.token, 'string');
  });
});

describe('respondContext', () => {
  test('who asks and why, and the state; nothing about the person, no status even once completed', async () => {
    for (const state of STORED_STATES) {
      const { session } = await kit.session(state, { person: PEOPLE.asha, purpose: 'Boarding' });
      const c = kit.ctx({}, { session, client: await kit.client(session.clientId) });
      await respondContext(c);
      const answer = c.answer as SessionContext;
      assert.deepEqual(Object.keys(answer).sort(), ['client', 'expires_at', 'session_id', 'state'], state);
      assert.deepEqual(answer.client, { id: 'demo-railway', name: 'Demo Railways', purpose: 'Boarding' });
      assert.equal(answer.state, state);
      assertNothingOfThePerson(answer, state);
    }
  });
});

describe('respondCreated and respondCodeSent', () => {
  test('a session without a person: its id, expiry and who asks; no code timings', async () => {
    const c = kit.ctx({ purpose: 'Boarding' }, { caller: await kit.backend(), client: await kit.client() });
    await runSteps(c, [newSession, respondCreated]);
    const answer = c.answer as CreateSessionResponse;
    assert.equal(answer.session_id, c.get('newSession').id);
    assert.equal(answer.expires_at, new Date(c.get('newSession').expiresAt).toISOString());
    assert.deepEqual(answer.client, { id: 'demo-railway', name: 'Demo Railways', purpose: 'Boarding' });
    assert.ok(!('otp' in answer));
  });

  test('with the first code: its timings, the same for a registered and an unregistered mobile', async () => {
    const answers = [];
    for (const person of [PEOPLE.asha, PEOPLE.unregistered]) {
      const c = kit.ctx<Person & NewSessionInput>(person, { caller: await kit.backend(), client: await kit.client() });
      await runSteps(c, [newSession, keyPerson, lookUpRecord, issueCode, deliverCode, respondCreated]);
      const answer = c.answer as CreateSessionResponse;
      assert.deepEqual(answer.otp, c.get('codeSent'));
      assertNothingOfThePerson(answer, person.name);
      answers.push({ ...answer, session_id: '', expires_at: '' });
    }
    assert.deepEqual(answers[0], answers[1]);
  });

  test('respondCodeSent answers the code’s timings only', async () => {
    const { session } = await kit.session('otp_sent', { person: PEOPLE.unregistered });
    const c = kit.ctx(PEOPLE.unregistered, { session, client: await kit.client() });
    await runSteps(c, [keyPerson, lookUpRecord, issueCode, deliverCode, respondCodeSent]);
    assert.deepEqual(Object.keys(c.answer as object).sort(), ['expires_in', 'resend_after', 'sends_left']);
  });
});
