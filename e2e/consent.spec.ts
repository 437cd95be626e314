import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test } from './fixtures.ts';

test("Don't share: nothing is shared and the host hears 'denied'", async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.asha));
  await frame.getByRole('button', { name: "Don't share" }).click();

  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  await expect(railwayResult(page)).toHaveAttribute('data-code', 'denied');
  await expect(railwayResult(page)).toHaveText('The passenger chose not to share their vaccination status.');
});

test('Cancel closes the check, the host hears "cancelled" and focus returns to its button', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await frame.getByRole('button', { name: 'Cancel' }).click();

  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  await expect(railwayResult(page)).toHaveAttribute('data-code', 'cancelled');
  await expect(page.getByRole('button', { name: 'Verify vaccination status' })).toBeFocused();
});

test('Escape cancels from inside the frame, mid-flow', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await requestOtp(frame, stack, PEOPLE.ravi);
  await frame.getByLabel('OTP', { exact: true }).press('Escape');

  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  await expect(railwayResult(page)).toHaveAttribute('data-code', 'cancelled');
});
