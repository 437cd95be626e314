import type { Browser, Page } from '@playwright/test';
import type { Stack } from './stack.ts';
import { PEOPLE, expect, test, type Person } from './fixtures.ts';

// The check without a host page: the demo employer's backend makes a session, HR sends its
// verification_url, the employee completes the check on KYC-VS's own page (here in a browser of
// their own, sharing nothing with HR's), and the dashboard shows what the backend verified.

/** HR on the dashboard: a new link for `employee`; resolves with the URL the dashboard shows. */
async function createLink(page: Page, stack: Stack, employee: string): Promise<string> {
  await page.goto(`${stack.hostUrl}/employer`);
  await page.getByLabel('Employee (name or reference, kept on this list only)').fill(employee);
  await page.getByRole('button', { name: 'Create verification link' }).click();
  const link = page.getByLabel('Verification link');
  await expect(link).toHaveValue(new RegExp(`^${stack.serviceUrl}/v/[A-Za-z0-9_-]{22}$`));
  await expect(resultOf(page, employee)).toHaveText('Waiting for the employee');
  return link.inputValue();
}

/** The dashboard's result cell for `employee`'s link. */
function resultOf(page: Page, employee: string) {
  return page.getByRole('row').filter({ has: page.getByRole('cell', { name: employee, exact: true }) }).getByRole('cell').nth(2);
}

/** The employee, in a fresh browser context, on the link's page up to the consent question. */
async function answerUpToConsent(browser: Browser, stack: Stack, url: string, person: Person): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await expect(page.getByText('Demo Employer asks for your vaccination status')).toBeVisible();
  await expect(page.getByText('Purpose: Joining work')).toBeVisible();
  await page.getByLabel('Mobile number', { exact: true }).fill(person.mobile);
  await page.getByLabel('Name', { exact: true }).fill(person.name);
  const seen = (await stack.texts(person.mobile)).length;
  await page.getByRole('button', { name: 'Send OTP', exact: true }).click();
  await page.getByLabel('OTP', { exact: true }).fill(await stack.otp(person.mobile, seen));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  return page;
}

test('HR makes a link, the employee shares on the link’s own page, the dashboard shows the verified status', async ({ page, browser, stack }) => {
  const url = await createLink(page, stack, 'Arjun, new joiner');
  await page.getByRole('button', { name: 'Copy link' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Copied|Ctrl\+C/ })).toBeVisible();

  const employee = await answerUpToConsent(browser, stack, url, PEOPLE.arjun);
  // A page of its own: not inside anyone's frame.
  expect(await employee.evaluate(() => window.top === window)).toBe(true);
  await employee.getByRole('button', { name: 'Share', exact: true }).click();

  await expect(employee.getByRole('heading', { name: 'Shared' })).toBeFocused();
  await expect(employee.getByText('You shared: Fully vaccinated')).toBeVisible();
  await expect(employee.getByText('Demo Employer has been told. You can close this page.')).toBeVisible();
  await expect(employee.getByRole('button', { name: 'Close' })).toHaveCount(0);

  await expect(resultOf(page, 'Arjun, new joiner')).toHaveText('Verified: fully vaccinated (status 2)');

  // The link did its job: opening it again offers no second check.
  await employee.goto(url);
  await expect(employee.getByText('This check has already ended.', { exact: false })).toBeVisible();
  await employee.context().close();
});

test('on the link’s page Escape throws nothing away; Don’t share ends it on its own page and the dashboard hears it', async ({ page, browser, stack }) => {
  const url = await createLink(page, stack, 'Asha, new joiner');
  const employee = await answerUpToConsent(browser, stack, url, PEOPLE.asha);
  await employee.keyboard.press('Escape');
  await expect(employee.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  await employee.getByRole('button', { name: "Don't share", exact: true }).click();

  await expect(employee.getByRole('heading', { name: 'Not shared' })).toBeFocused();
  await expect(employee.getByText('You chose not to share your status. Demo Employer has been told. You can close this page.')).toBeVisible();
  await expect(resultOf(page, 'Asha, new joiner')).toHaveText('The employee chose not to share');
  await employee.context().close();
});

test('a link that does not exist says so on a page of its own', async ({ browser, stack }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${stack.serviceUrl}/v/AAAAAAAAAAAAAAAAAAAAAA`);
  expect(response?.status()).toBe(404);
  await expect(page.getByText('This link does not work.', { exact: false })).toBeVisible();
  await context.close();
});
