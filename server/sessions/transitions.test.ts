// The transitions table is the one rule for the state machine: the store's compare-and-set SQL must
// take exactly the states the table names, so what requireState checks and what the database
// enforces under concurrency cannot drift apart. Driven on the real SqliteSessionStore and file.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { SessionState } from '../../protocol/api.ts';
import type { AuditEvent } from '../consent/audit.ts';
import { runSteps } from './flow-context.ts';
import type { Session } from './session-store.ts';
import { issueCode } from './steps/issue-code.ts';
import { keyPerson } from './steps/key-person.ts';
import { lookUpRecord } from './steps/look-up-record.ts';
import { PEOPLE, STORED_STATES, type StoredState, openStepKit } from './steps/step-test-kit.ts';
import { FINAL_STATES, TRANSITIONS, type TransitionName, allows, fromStatesSql } from './transitions.ts';

const kit = await openStepKit();
after(() => kit.close());

const NAMES = Object.keys(TRANSITIONS) as TransitionName[];
const ALL_STATES: readonly SessionState[] = ['created', 'otp_sent', 'verified', 'completed', 'denied', 'locked', 'expired'];

const audit = (session: Session, event: 'allow' | 'deny'): AuditEvent => ({
  at: Date.now(),
  clientId: session.clientId,
  sessionId: session.id,
  purpose: session.purpose,
  event,
  vaccinationStatus: null,
  subject: session.subject,
  tokenJti: null,
});

/**
 * Tries `transition` through the store on a session in `state`. Every condition of the update other
 * than the state is made to hold (the same person, the current send count, the code the caller
 * checked), so the state alone decides.
 */
async function attempt(transition: TransitionName, state: StoredState): Promise<{ moved: boolean; session: Session; after: Session }> {
  const { session } = await kit.session(state, { person: PEOPLE.asha });
  const store = kit.services.sessions;
  const code = crypto.randomBytes(32);
  kit.services.db!.prepare('UPDATE sessions SET otp_hash = ? WHERE id = ?').run(code, session.id);
  let moved: boolean;
  switch (transition) {
    case 'send_code': {
      const c = kit.ctx(PEOPLE.asha, { session, client: await kit.client() });
      await runSteps(c, [keyPerson, lookUpRecord, issueCode]);
      moved = await store.recordOtpSent(session.id, session.sends, c.get('code').issue);
      break;
    }
    case 'wrong_code':
      moved = (await store.recordWrongOtp(session.id, 100)) !== null;
      break;
    case 'verify_code':
      moved = await store.markVerified(session.id, code, crypto.randomBytes(32), 'frame');
      break;
    case 'correct_name':
      // A name the citizen gave, that matched no one, a ticket the frame holds, no tries yet.
      kit.services.db!.prepare("UPDATE sessions SET name_matched = 0, person_fixed_by = 'citizen', ticket_holder = 'frame' WHERE id = ?").run(session.id);
      moved = await store.recordNameTry(session.id, 0, 3, null);
      break;
    case 'consent_with_code':
    case 'allow':
      moved = await store.complete(session.id, transition, code, { token: 't', jti: crypto.randomUUID() }, audit(session, 'allow'));
      break;
    case 'deny':
      moved = await store.deny(session.id, audit(session, 'deny'));
      break;
  }
  return { moved, session, after: await kit.reload(session.id) };
}

describe('the transitions table drives the store', () => {
  for (const transition of NAMES) {
    test(`${transition}: the store moves a session exactly from ${TRANSITIONS[transition].from.join(', ')}, to ${TRANSITIONS[transition].to}`, async () => {
      for (const state of STORED_STATES) {
        const { moved, session, after } = await attempt(transition, state);
        assert.equal(moved, allows(transition, state), `${transition} from ${state}`);
        assert.equal(after.state, moved ? TRANSITIONS[transition].to : state, `${transition} from ${state}: state after`);
        const audits = (await kit.services.audit.forSession(session.id)).length - (state === 'completed' ? 1 : state === 'denied' ? 1 : 0);
        const recorded = transition === 'allow' || transition === 'consent_with_code' || transition === 'deny';
        assert.equal(audits, moved && recorded ? 1 : 0, `${transition} from ${state}: audit rows`);
      }
    });
  }

  test('wrong_code at the last try moves to locked instead (orLocked)', async () => {
    const { session } = await kit.session('otp_sent');
    assert.deepEqual(await kit.services.sessions.recordWrongOtp(session.id, 1), { failedAttempts: 1, state: 'locked' });
  });
});

describe('the table itself', () => {
  test('nothing leaves a final state or a lock, and no transition starts from “expired” (it is computed, not stored)', () => {
    for (const name of NAMES) {
      for (const state of [...FINAL_STATES, 'locked', 'expired'] as SessionState[]) {
        assert.equal(allows(name, state), false, `${name} from ${state}`);
      }
    }
  });

  test('every state but the final ones, the lock and expiry can move on', () => {
    for (const state of ALL_STATES.filter((s) => ![...FINAL_STATES, 'locked', 'expired'].includes(s))) {
      assert.ok(NAMES.some((name) => allows(name, state)), state);
    }
  });

  test('the SQL list is the table’s from-states, quoted, and nothing else', () => {
    for (const name of NAMES) {
      const sql = fromStatesSql(name);
      assert.deepEqual(sql.split(', '), TRANSITIONS[name].from.map((s) => `'${s}'`), name);
      assert.match(sql, /^'[a-z_]+'(, '[a-z_]+')*$/, name);
    }
  });
});
