import { PEOPLE, expect, railwayResult, test, widget } from './fixtures.ts';

test('keyboard only: focus moves into the frame, through every step, and back to the host', async ({ page, stack }) => {
  await page.goto(`${stack.hostUrl}/railway`);
  const verify = page.getByRole('button', { name: 'Verify vaccination status' });
  await page.getByLabel('Passenger name').focus();
  // Passenger mobile, train, language, then the button.
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  await expect(verify).toBeFocused();
  await page.keyboard.press('Enter');

  const frame = widget(page);
  await expect(frame.getByLabel('Mobile number', { exact: true })).toBeFocused();
  // The page behind the modal cannot be reached.
  await expect(page.locator('.layout')).toHaveJSProperty('inert', true);
  await page.keyboard.type(PEOPLE.asha.mobile);
  await page.keyboard.press('Tab');
  await expect(frame.getByLabel('Name', { exact: true })).toBeFocused();
  await page.keyboard.type(PEOPLE.asha.name);
  await page.keyboard.press('Enter');

  await expect(frame.getByLabel('OTP', { exact: true })).toBeFocused();
  await page.keyboard.type(await stack.otp(PEOPLE.asha.mobile));
  await page.keyboard.press('Enter');

  // Focus lands on the question, not on Share: a stray Enter must not share.
  await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeFocused();
  await page.keyboard.press('Tab');
  const share = frame.getByRole('button', { name: 'Share', exact: true });
  // Focusable at once, but it acts only once the frame has been in full view for a moment.
  await expect(share).toBeFocused();
  await expect(share).toBeEnabled();
  await page.keyboard.press('Enter');

  await expect(frame.getByRole('heading', { name: 'Shared' })).toBeFocused();
  // The link to the citizen's history comes first, then Close.
  await page.keyboard.press('Tab');
  await expect(frame.getByRole('link', { name: 'Who checked my vaccination status' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(frame.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  await expect(verify).toBeFocused();
  await expect(page.locator('.layout')).toHaveJSProperty('inert', false);
  await expect(railwayResult(page)).toHaveAttribute('data-state', 'verified');
});
