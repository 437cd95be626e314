import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ApiErrorCode } from '../../../protocol/api.ts';
import { ApiError } from '../../errors.ts';
import { TRANSITIONS, type TransitionName, allows } from '../transitions.ts';
import { requireState } from './require-state.ts';
import { STORED_STATES, type StoredState, openStepKit, refused } from './step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

const sessions = new Map<StoredState, Awaited<ReturnType<typeof kit.session>>['session']>();
for (const state of STORED_STATES) sessions.set(state, (await kit.session(state)).session);
const transitions = Object.keys(TRANSITIONS) as TransitionName[];

describe('requireState', () => {
  test('passes exactly the states the transitions table lets each transition start from', async () => {
    for (const transition of transitions) {
      for (const [state, session] of sessions) {
        let passed = true;
        try {
          requireState(transition)(kit.ctx({}, { session }));
        } catch (err) {
          assert.ok(err instanceof ApiError, `${transition} from ${state}: ${String(err)}`);
          passed = false;
        }
        assert.equal(passed, allows(transition, state), `${transition} from ${state}`);
      }
    }
  });

  test('tells the caller what to do: each refused state has its own error', async () => {
    const expected: Record<StoredState, [TransitionName, ApiErrorCode]> = {
      created: ['verify_code', 'otp_not_sent'],
      otp_sent: ['allow', 'invalid_state'],
      verified: ['verify_code', 'invalid_state'],
      completed: ['deny', 'invalid_state'],
      denied: ['allow', 'invalid_state'],
      locked: ['verify_code', 'otp_locked'],
    };
    for (const [state, [transition, code]] of Object.entries(expected) as [StoredState, [TransitionName, ApiErrorCode]][]) {
      await refused(() => requireState(transition)(kit.ctx({}, { session: sessions.get(state)! })), code, `${transition} from ${state}`);
    }
    // A decided session refuses a new code as well.
    await refused(() => requireState('send_code')(kit.ctx({}, { session: sessions.get('completed')! })), 'invalid_state');
    await refused(() => requireState('send_code')(kit.ctx({}, { session: sessions.get('denied')! })), 'invalid_state');
  });

  test('a locked session says how long it stays locked: until it expires, at least 1 s', async () => {
    const { session } = await kit.session('locked', { expiresAt: Date.now() + 120_000 });
    const error = await refused(() => requireState('send_code')(kit.ctx({}, { session })), 'otp_locked');
    assert.ok(error.details.retry_after! >= 115 && error.details.retry_after! <= 120, `retry_after ${error.details.retry_after}`);
    const { session: ending } = await kit.session('locked', { expiresAt: Date.now() + 10 });
    const last = await refused(() => requireState('verify_code')(kit.ctx({}, { session: { ...ending, expiresAt: Date.now() - 1000 } })), 'otp_locked');
    assert.equal(last.details.retry_after, 1);
  });

  test('an expired session is session_expired', async () => {
    const session = { ...sessions.get('otp_sent')!, state: 'expired' as const };
    await refused(() => requireState('verify_code')(kit.ctx({}, { session })), 'session_expired');
  });
});
