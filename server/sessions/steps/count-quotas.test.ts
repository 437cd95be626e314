import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Caller } from '../caller.ts';
import { runSteps } from '../flow-context.ts';
import { countQuotas, SMS_QUOTAS } from './count-quotas.ts';
import { keyPerson } from './key-person.ts';
import { metric, openStepKit, refused } from './step-test-kit.ts';

// One text per mobile and per address an hour, two sessions per address a minute.
const kit = await openStepKit({ smsPerMobilePerHour: 1, smsPerIpPerHour: 1, sessionsPerIpPerMinute: 2 });
after(() => kit.close());

let mobiles = 9_100_000_000;
const freshMobile = () => String(++mobiles);

/** One text's worth of quotas, for `mobile`, from `caller`. */
const text = async (caller: Caller, mobile: string) =>
  runSteps(kit.ctx({ mobile, name: 'Test Person' }, { caller, client: await kit.client() }), [keyPerson, countQuotas(SMS_QUOTAS)]);

describe('countQuotas', () => {
  test('a quota at its cap refuses with rate_limited and when to retry, counted in metrics by name', async () => {
    const mobile = freshMobile();
    const before = await metric(kit, 'kycvs_quota_refusals_total', { quota: 'sms_mobile' });
    await text(kit.caller(), mobile);
    const error = await refused(() => text(kit.caller(), mobile), 'rate_limited', 'second text to the mobile this hour');
    assert.ok(error.details.retry_after! >= 1 && error.details.retry_after! <= 3600 * 1.1, `retry_after ${error.details.retry_after}`);
    assert.equal(await metric(kit, 'kycvs_quota_refusals_total', { quota: 'sms_mobile' }), before + 1);
  });

  test('all or none: a request refused by the mobile’s quota uses up none of the address’s', async () => {
    const victim = freshMobile();
    await text(kit.caller(), victim);
    const attacker = kit.caller();
    await refused(() => text(attacker, victim), 'rate_limited');
    // The address's one text an hour is still there.
    await text(attacker, freshMobile());
  });

  test('all or none: an address past its own cap cannot drain a victim’s per-mobile quota', async () => {
    const attacker = kit.caller();
    await text(attacker, freshMobile());
    const victim = freshMobile();
    for (let i = 0; i < 5; i++) await refused(() => text(attacker, victim), 'rate_limited');
    // The victim's own text still goes.
    await text(kit.caller(), victim);
  });

  test('sessions per address: the cap refuses that address only', async () => {
    const client = await kit.client();
    const busy = kit.caller();
    const start = (caller: Caller) => countQuotas(['sessions_ip'])(kit.ctx({}, { caller, client }));
    await start(busy);
    await start(busy);
    await refused(() => start(busy), 'rate_limited');
    await start(kit.caller());
  });
});
