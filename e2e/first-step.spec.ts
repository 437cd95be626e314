// The frame page arrives with its first step in it (widget/frame/prerender.ts): the form is on
// screen before the frame's app script runs, and the app takes it over in place.
import { expect, openRailway, test } from './fixtures.ts';

test('the first step is in the page as served: styled by its inline style (CSP hash), Send off, nothing of the citizen in it', async ({ page, stack }) => {
  const served = page.waitForResponse((response) => response.url().startsWith(`${stack.serviceUrl}/widget/`));
  // The app's code never arrives: what shows is the server's page alone.
  await page.context().route('**/widget/assets/app-*.js', (route) => route.abort());
  const frame = await openRailway(page, stack, { name: 'Ravi Verma', mobile: '98765 43210' });

  const response = await served;
  const csp = response.headers()['content-security-policy']!;
  expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
  expect(csp).toContain("script-src 'self';");
  expect(csp).not.toContain('unsafe-inline');
  expect(response.headers()['origin-agent-cluster']).toBeUndefined();
  const body = await response.text();
  expect(body).not.toContain('Ravi');
  expect(body).not.toContain('98765');

  await expect(frame.getByRole('heading', { name: 'Confirm it is you' })).toBeVisible();
  await expect(frame.getByText('Demo Railways asks for your vaccination status')).toBeVisible();
  await expect(frame.getByLabel('Mobile number', { exact: true })).toHaveValue('');
  await expect(frame.getByRole('button', { name: 'Send OTP' })).toBeDisabled();
  // The inline style applied (a blocked one would leave the header unstyled).
  await expect(frame.locator('.header')).toHaveCSS('background-color', 'rgb(11, 92, 173)');
});

test('the app takes the first step over in place: same layout, what was typed and the caret stay, then the host prefill and every language', async ({ page, stack }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.context().route('**/widget/assets/app-*.js', async (route) => {
    await held;
    await route.continue();
  });
  const frame = await openRailway(page, stack, { name: 'Ravi Verma' });
  const mobile = frame.getByLabel('Mobile number', { exact: true });
  const layout = () =>
    frame.locator('kycvs-app').evaluate((app) =>
      [...app.querySelectorAll('header, p, h2, label, input, select, button')].map((el) => {
        const box = el.getBoundingClientRect();
        return `${el.tagName}${el.id ? `#${el.id}` : ''} ${box.x},${box.y} ${box.width}×${box.height}`;
      }),
    );

  await expect(mobile).toBeVisible();
  // As tall as the frame will be once the app reports its height: both layouts under the same media queries.
  await page.locator('.kyc-vs-modal iframe').evaluate((iframe: HTMLIFrameElement) => (iframe.style.height = '700px'));
  const before = await layout();
  await mobile.pressSequentially('98765');
  await mobile.press('ArrowLeft');
  release();

  const send = frame.getByRole('button', { name: 'Send OTP' });
  await expect(send).toBeEnabled();
  expect(await layout()).toEqual(before);
  await expect(frame.locator('[data-step]')).toHaveCount(1);
  await expect(mobile).toHaveValue('98765');
  await expect(mobile).toBeFocused();
  expect(await mobile.evaluate((input: HTMLInputElement) => [input.selectionStart, input.selectionEnd])).toEqual([4, 4]);
  await expect(frame.getByLabel('Name', { exact: true })).toHaveValue('Ravi Verma');
  await expect(frame.getByLabel('Language').locator('option')).toHaveCount(12);
  expect(errors).toEqual([]);
});
