import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type CorrectNameResponse, NAME_TRIES_PER_SESSION } from '../../../protocol/api.ts';
import { beneficiaryRef, pairwiseSubject } from '../../consent/subject.ts';
import { runSteps } from '../flow-context.ts';
import type { Session } from '../session-store.ts';
import { matchTriedName } from './match-tried-name.ts';
import { recordNameTry } from './record-name-try.ts';
import { PEOPLE, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const correctable = { person: PEOPLE.stranger, fixedBy: 'citizen' } as const;

async function tryName(session: Session, name: string): Promise<CorrectNameResponse> {
  const c = kit.ctx({ name }, { session });
  await runSteps(c, [matchTriedName, recordNameTry]);
  return c.answer as CorrectNameResponse;
}

describe('recordNameTry', () => {
  test('a match re-keys the session to that person: name, status and pseudonym; the answer carries no status', async () => {
    const { session } = await kit.session('verified', correctable);
    const answer = await tryName(session, 'Ravi  Verma');
    assert.deepEqual(answer, { name_matched: true, name_tries_left: NAME_TRIES_PER_SESSION - 1 });
    const stored = await kit.reload(session.id);
    assert.equal(stored.state, 'verified');
    assert.equal(stored.nameMatched, true);
    assert.equal(stored.vaccinationStatus, PEOPLE.ravi.status);
    assert.equal(stored.subject, pairwiseSubject(kit.deps.secrets.subjectKey, session.clientId, beneficiaryRef('DEMO-RAVI')));
    assert.ok(!stored.nameHash!.equals(session.nameHash!), 'the session is now about the matched name');
    assert.equal(stored.nameTries, 1);
  });

  test('a miss only counts: the person, status and pseudonym stay', async () => {
    const { session } = await kit.session('verified', correctable);
    assert.deepEqual(await tryName(session, 'Asha Varma'), { name_matched: false, name_tries_left: NAME_TRIES_PER_SESSION - 1 });
    const stored = await kit.reload(session.id);
    assert.deepEqual(
      { ...stored, nameTries: 0 },
      { ...session, nameTries: 0 },
      'nothing but the count changed',
    );
    assert.equal(stored.nameTries, 1);
  });

  test('of two tries racing from the same count, one counts and the other is invalid_state', async () => {
    const { session } = await kit.session('verified', correctable);
    const results = await Promise.allSettled([tryName(session, 'Nobody One'), tryName(session, 'Nobody Two')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    await refused(() => Promise.reject((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason), 'invalid_state');
    assert.equal((await kit.reload(session.id)).nameTries, 1);
  });

  test('the store refuses a try past the limit, a session the host fixed, a ticket held by a backend, or a matched name', async () => {
    const cases = [
      { what: 'tries spent', ...(await kit.session('verified', correctable)), tries: NAME_TRIES_PER_SESSION },
      { what: 'host fixed', ...(await kit.session('verified', { person: PEOPLE.stranger, fixedBy: 'backend' })), tries: 0 },
      { what: 'backend ticket', ...(await kit.session('verified', { ...correctable, ticketHolder: 'backend' })), tries: 0 },
      { what: 'matched', ...(await kit.session('verified', { person: PEOPLE.asha, fixedBy: 'citizen' })), tries: 0 },
    ];
    for (const { what, session, tries } of cases) {
      kit.services.db!.prepare('UPDATE sessions SET name_tries = ? WHERE id = ?').run(tries, session.id);
      await refused(() => tryName({ ...session, nameTries: tries }, PEOPLE.ravi.name), 'invalid_state', what);
      assert.equal((await kit.reload(session.id)).nameTries, tries, what);
    }
  });
});
