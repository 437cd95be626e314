// Issue 9 item 4: a host that prefills mobile and name must not learn, before the citizen decides,
// whether that name is registered on that mobile. Everything the host page can observe of the
// frame (messages, on the window and on the loader's private port, their order, the iframe's
// attributes and sizes, focus, the frame's title) is recorded from inside the host page for a
// matched name, a name that matches no one on a registered mobile (the citizen lists the names
// and tries another, issue 10), a typo corrected in the frame, and an unregistered mobile, each up
// to the decision: the four records must be identical.
import type { FrameLocator } from '@playwright/test';
import { beforeDecision, decision, hostView, recordHostView, type HostView } from './host-observer.ts';
import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test, type Person } from './fixtures.ts';

test('the host observes the same thing, up to the decision, whether the name matched, matched no one, or the mobile is unregistered', async ({ browser, stack }) => {
  test.slow(); // four checks, one after the other
  const views: Record<string, HostView> = {};
  const outcomes: Record<string, unknown> = {};

  async function check(label: string, person: Person, finish: (frame: FrameLocator) => Promise<void>, code: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-IN' });
    try {
      const page = await context.newPage();
      await recordHostView(page);
      const frame = await openRailway(page, stack, person);
      await finish(frame);
      await expect(railwayResult(page)).toHaveAttribute('data-code', code);
      views[label] = await hostView(page);
      outcomes[label] = decision(views[label].observations);
    } finally {
      await context.close();
    }
  }

  // A matched name: the consent step, then Don't share.
  await check('matched', PEOPLE.asha, async (frame) => {
    await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.asha));
    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeFocused();
    await frame.getByRole('button', { name: "Don't share" }).click();
  }, 'denied');

  // A name that matches no one on a registered mobile: the correction step, where the citizen
  // lists the names on the mobile and tries one more that matches no one, then ends the check.
  const stranger = { mobile: PEOPLE.asha.mobile, name: 'Someone Else' };
  await check('unmatched', stranger, async (frame) => {
    await enterOtp(frame, await requestOtp(frame, stack, stranger));
    await expect(frame.getByRole('heading', { name: 'No match on this number' })).toBeFocused();
    await expect(frame.getByRole('button', { name: 'Share', exact: true })).toHaveCount(0);
    await frame.getByRole('button', { name: 'Show the names registered on this number' }).click();
    await expect(frame.getByRole('radio')).toHaveCount(3);
    await frame.getByRole('textbox', { name: 'Name as registered' }).fill('Someone Other');
    await frame.getByRole('button', { name: 'Try this name' }).click();
    await expect(frame.getByRole('alert')).toContainText('2 tries left');
    await frame.getByRole('button', { name: 'End the check' }).click();
  }, 'failed');

  // A typo corrected in the frame: the correction step, then the consent step, then Don't share.
  // The host must see what it sees for a name typed right the first time.
  const typo = { mobile: PEOPLE.asha.mobile, name: 'Asha Varma' };
  await check('corrected', typo, async (frame) => {
    await enterOtp(frame, await requestOtp(frame, stack, typo));
    await expect(frame.getByRole('heading', { name: 'No match on this number' })).toBeFocused();
    await frame.getByRole('textbox', { name: 'Name as registered' }).fill(PEOPLE.asha.name);
    await frame.getByRole('button', { name: 'Try this name' }).click();
    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeFocused();
    await frame.getByRole('button', { name: "Don't share" }).click();
  }, 'denied');

  // An unregistered mobile: no code ever comes, so the check stops at the OTP step.
  await check('unregistered', PEOPLE.unregistered, async (frame) => {
    await frame.getByRole('button', { name: 'Send OTP', exact: true }).click();
    await expect(frame.getByLabel('OTP', { exact: true })).toBeFocused();
    await frame.getByRole('button', { name: 'Cancel' }).click();
  }, 'cancelled');

  const matched = beforeDecision(views.matched!.observations);
  // The record is not empty: the handshake, the heights the host saw, focus moving into the frame.
  expect(matched.map((o) => o.kind)).toEqual(expect.arrayContaining(['window-message', 'port-message', 'frame-attribute', 'window-blur']));
  expect(beforeDecision(views.unmatched!.observations)).toEqual(matched);
  expect(beforeDecision(views.corrected!.observations)).toEqual(matched);
  expect(beforeDecision(views.unregistered!.observations)).toEqual(matched);
  // Every size the host's ResizeObserver saw is one the frame's messages set, and the last one is the same.
  for (const view of Object.values(views)) {
    const announced = new Set(view.observations.map((o) => o.frameSize));
    // (0x0: the modal closing after the decision.)
    for (const size of view.resizes.filter((s) => s !== '0x0')) expect(announced).toContain(size);
  }
  const lastSizes = Object.values(views).map((view) => beforeDecision(view.observations).at(-1)!.frameSize);
  expect(new Set(lastSizes).size).toBe(1);
  console.log(`figure: ${matched.length} observations before the decision, identical in all four runs; last frame size ${lastSizes[0]}`);
  // Only the decision itself differs.
  expect(outcomes).toEqual({
    matched: { type: 'kycvs:deny', v: 1 },
    unmatched: { type: 'kycvs:error', v: 1, code: 'failed' },
    corrected: { type: 'kycvs:deny', v: 1 },
    unregistered: { type: 'kycvs:cancel', v: 1 },
  });
});
