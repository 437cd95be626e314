import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { FlowContext, runSteps, type Step } from './flow-context.ts';
import { findSession } from './steps/find-session.ts';
import { requireApiKey } from './steps/require-api-key.ts';
import { respondView } from './steps/respond.ts';
import { openStepKit, refused } from './steps/step-test-kit.ts';

const kit = await openStepKit();
after(() => kit.close());

describe('FlowContext', () => {
  test('reading a slot no step set is a wiring error that names the slot', () => {
    const c = kit.ctx({});
    assert.equal(c.has('session'), false);
    assert.throws(() => c.get('session'), /wiring.*"session"/);
  });

  test('a slot reads back what a step set, and only in that request', async () => {
    const { session } = await kit.session('otp_sent');
    const one = kit.ctx({});
    const other = kit.ctx({});
    one.set('session', session);
    assert.equal(one.has('session'), true);
    assert.equal(one.get('session'), session);
    assert.equal(other.has('session'), false);
  });

  test('one clock reading per request', async () => {
    const before = Date.now();
    const c = new FlowContext(kit.deps, kit.caller(), {}, 'ses_x');
    const made = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(c.now >= before && c.now <= made, 'read when the request began');
    assert.ok(Date.now() - c.now >= 15, 'and not again later');
    assert.equal(c.sessionId, 'ses_x');
  });
});

describe('runSteps', () => {
  test('runs the steps in order, each awaited, and answers what the last one set', async () => {
    const seen: string[] = [];
    const slow: Step = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push('slow');
    };
    const last: Step = (c) => {
      seen.push('last');
      c.answer = { ok: true };
    };
    assert.deepEqual(await runSteps(kit.ctx({}), [slow, last]), { ok: true });
    assert.deepEqual(seen, ['slow', 'last']);
  });

  test('the first step that refuses ends the request: nothing after it runs, no answer', async () => {
    const { session } = await kit.session('completed');
    const c = kit.ctx({}, { caller: kit.caller(), sessionId: session.id });
    let ranAfter = false;
    await refused(() => runSteps(c, [requireApiKey, findSession, () => void (ranAfter = true), respondView]), 'unauthorized');
    assert.equal(ranAfter, false);
    assert.equal(c.answer, undefined);
    assert.equal(c.has('session'), false, 'findSession never ran');
  });

  test('real steps hand their slots on: the view of a session, read by its owner', async () => {
    const { session } = await kit.session('completed');
    const answer = (await runSteps(kit.ctx({}, { caller: await kit.backend(), sessionId: session.id }), [requireApiKey, findSession, respondView])) as {
      session_id: string;
      token?: string;
    };
    assert.equal(answer.session_id, session.id);
    assert.equal(answer.token, session.token);
  });
});
