import type { FrameLocator } from '@playwright/test';
import { PEOPLE, expect, openRailway, requestOtp, test } from './fixtures.ts';

/** Pixels the frame's page would scroll by, across and down: 0 means no scrollbar. */
const overflow = (frame: FrameLocator) =>
  frame.locator('html').evaluate((html) => ({ x: html.scrollWidth - html.clientWidth, y: html.scrollHeight - html.clientHeight }));

test.describe('on a 360 px phone', () => {
  test.use({ viewport: { width: 360, height: 740 } });

  test('the frame is a full-screen sheet and nothing overflows sideways', async ({ page, stack }) => {
    const frame = await openRailway(page, stack, { lang: 'hi' });
    await expect(frame.getByLabel('मोबाइल नंबर', { exact: true })).toBeVisible();
    expect(await page.locator('.kyc-vs-modal iframe').boundingBox()).toEqual({ x: 0, y: 0, width: 360, height: 740 });
    expect((await overflow(frame)).x).toBe(0);
    for (const button of await frame.getByRole('button').all()) {
      const box = (await button.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(360);
    }
  });
});

test('on a desktop the frame is a centred modal, sized to its content at every step', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  const iframe = page.locator('.kyc-vs-modal iframe');
  await expect(frame.getByLabel('Mobile number', { exact: true })).toBeVisible();
  await expect.poll(() => overflow(frame)).toEqual({ x: 0, y: 0 });
  const box = (await iframe.boundingBox())!;
  expect(box.width).toBe(440);
  expect(box.x).toBe((1280 - 440) / 2);

  await requestOtp(frame, stack, PEOPLE.asha);
  await expect(frame.getByLabel('OTP', { exact: true })).toBeVisible();
  await expect.poll(() => overflow(frame)).toEqual({ x: 0, y: 0 });
});
