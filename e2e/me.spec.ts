import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { PEOPLE, enterOtp, expect, openRailway, requestOtp, test, wrongCode } from './fixtures.ts';
import type { Stack } from './stack.ts';

// The citizen's own history at /me/ on the service's origin: after a Share in the demo railway
// page, the same browser signs in with the same mobile and sees who checked, when, and what went.
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

async function expectNoViolations(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  expect(violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${what}`).toEqual([]);
}

/** The railway's check to the end with Share, as Asha. */
async function shareOnRailway(page: Page, stack: Stack): Promise<void> {
  const frame = await openRailway(page, stack);
  await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.asha));
  await frame.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(frame.getByText('You shared: Fully vaccinated')).toBeVisible();
  // The done step links the history page, in the frame's language, in a new tab.
  const link = frame.getByRole('link', { name: 'Who checked my vaccination status' });
  await expect(link).toHaveAttribute('href', `${stack.serviceUrl}/me/?lang=en`);
  await expect(link).toHaveAttribute('target', '_blank');
  await frame.getByRole('button', { name: 'Close' }).click();
}

/** Mobile, Send OTP, the code from the SMS, Sign in (by the English labels). */
async function signIn(page: Page, stack: Stack, mobile: string): Promise<void> {
  await page.getByLabel('Mobile number').fill(mobile);
  const seen = (await stack.texts(mobile)).length;
  await page.getByRole('button', { name: 'Send OTP' }).click();
  await expect(page.getByLabel('OTP', { exact: true })).toBeFocused();
  await page.getByLabel('OTP', { exact: true }).fill(await stack.otp(mobile, seen));
  await page.getByRole('button', { name: 'Sign in' }).click();
}

for (const { width, height } of [
  { width: 1280, height: 800 },
  { width: 360, height: 740 },
]) {
  test(`at ${width} px: after a Share, /me/ lists Demo Railways with the time and what was shared`, async ({ page, stack }) => {
    await page.setViewportSize({ width, height });
    const before = Date.now();
    await shareOnRailway(page, stack);
    const after = Date.now();

    const response = await page.goto(`${stack.serviceUrl}/me/`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await expect(page.getByRole('heading', { name: 'Sign in with your mobile number' })).toBeVisible();
    await expect(page.getByLabel('Mobile number')).toBeFocused();
    await expectNoViolations(page, 'the sign-in form');

    await signIn(page, stack, PEOPLE.asha.mobile);
    await expect(page.getByRole('heading', { name: 'Who checked your vaccination status' })).toBeFocused();
    const asha = page.getByRole('region', { name: 'Asha Verma' });
    const entry = asha.getByRole('listitem').filter({ hasText: 'Demo Railways' });
    await expect(entry).toHaveCount(1);
    await expect(entry).toContainText('Shared: fully vaccinated');
    // The time of the Share, in the page's language (en-IN) by Intl.
    const time = entry.locator('time');
    const at = Date.parse((await time.getAttribute('datetime'))!);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    const expected = await page.evaluate(
      (ms) => new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms)),
      at,
    );
    await expect(time).toHaveText(expected);
    // The others on the mobile are listed, with no checks of their own.
    await expect(page.getByRole('region', { name: 'Ravi Verma' })).toContainText('No one has asked for this person’s status.');
    await expect(page.getByRole('region', { name: 'Meera Verma' })).toBeVisible();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    await expectNoViolations(page, 'the history');

    // A reload within the ten minutes keeps the sign-in; sign-out ends it.
    await page.reload();
    await expect(page.getByRole('region', { name: 'Asha Verma' })).toContainText('Demo Railways');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('alert')).toHaveText('You are signed out.');
    await page.reload();
    await expect(page.getByLabel('Mobile number')).toBeVisible();
  });
}

test('a wrong code is announced with the tries left; the code step passes axe', async ({ page, stack }) => {
  await page.goto(`${stack.serviceUrl}/me/`);
  await page.getByLabel('Mobile number').fill(PEOPLE.arjun.mobile);
  await page.getByRole('button', { name: 'Send OTP' }).click();
  const code = await stack.otp(PEOPLE.arjun.mobile);
  await expect(page.getByText('If +91 91234 56780 is registered for vaccination, a 6-digit code arrives by SMS within a minute.')).toBeVisible();
  await expectNoViolations(page, 'the code step');
  await page.getByLabel('OTP', { exact: true }).fill(wrongCode(code));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong code. 4 tries left.');
  await expectNoViolations(page, 'the code step with an error');
  await page.getByLabel('OTP', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('region', { name: 'Arjun Singh' })).toContainText('No one has asked for this person’s status.');
});

test('in Hindi (?lang=hi): the page, its dates and its history read in Hindi, with no axe violations', async ({ page, stack }) => {
  await shareOnRailway(page, stack);
  await page.goto(`${stack.serviceUrl}/me/?lang=hi`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(page.getByRole('heading', { name: 'अपने मोबाइल नंबर से साइन इन करें' })).toBeVisible();
  await expectNoViolations(page, 'the sign-in form in Hindi');
  await page.getByLabel('मोबाइल नंबर').fill(PEOPLE.asha.mobile);
  await page.getByRole('button', { name: 'OTP भेजें' }).click();
  await page.getByLabel('OTP', { exact: true }).fill(await stack.otp(PEOPLE.asha.mobile, 1));
  await page.getByRole('button', { name: 'साइन इन करें' }).click();
  const entry = page.getByRole('region', { name: 'Asha Verma' }).getByRole('listitem');
  await expect(entry).toContainText('Demo Railways');
  await expect(entry).toContainText('साझा की गई: पूर्ण रूप से टीकाकृत');
  await expectNoViolations(page, 'the history in Hindi');
  // The language switcher: English again, without signing in again.
  await page.getByLabel('भाषा').selectOption('en');
  await expect(page.getByRole('heading', { name: 'Who checked your vaccination status' })).toBeVisible();
});

test('an unregistered mobile gets the same code step, and the page is never framed', async ({ page, stack }) => {
  const response = await page.goto(`${stack.serviceUrl}/me/`);
  expect(response?.headers()['x-frame-options']).toBe('DENY');
  await page.getByLabel('Mobile number').fill(PEOPLE.unregistered.mobile);
  await page.getByRole('button', { name: 'Send OTP' }).click();
  await expect(page.getByText('If +91 90000 00000 is registered for vaccination, a 6-digit code arrives by SMS within a minute.')).toBeVisible();
  await expect(page.getByRole('alert')).toBeEmpty();
});
