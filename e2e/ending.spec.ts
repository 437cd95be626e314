import type { RailwaySessionResponse } from '../demo-host/contract.ts';
import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test, wrongCode } from './fixtures.ts';

// Checks that cannot go on: the frame says why in the citizen's words, and Close tells the host.

test.describe('with one wrong OTP allowed', () => {
  test.use({ serviceEnv: { KYCVS_MAX_WRONG_OTP: '1' } });

  test('a locked session ends the check and the host hears "failed"', async ({ page, stack }) => {
    const frame = await openRailway(page, stack);
    await enterOtp(frame, wrongCode(await requestOtp(frame, stack, PEOPLE.asha)));
    await expect(frame.getByRole('heading', { name: 'This check cannot continue' })).toBeFocused();
    // retry_after: until the locked session expires, as a local time.
    await expect(frame.getByText(/^Too many wrong codes\. For your safety this request is locked\. Try again after \d{1,2}:\d\d\s[AP]M\.$/)).toBeVisible();
    await frame.getByRole('button', { name: 'Close' }).click();
    await expect(railwayResult(page)).toHaveAttribute('data-code', 'failed');
  });
});

// Long enough for the frame to load and read its session on a loaded 2-core machine, short enough to wait out.
test.describe('with an 8-second session', () => {
  test.use({ sessionTtl: 8 });

  test('an expired session ends the check and the host hears "expired"', async ({ page, stack }) => {
    const created = page.waitForResponse(`${stack.hostUrl}/api/railway/sessions`);
    const frame = await openRailway(page, stack);
    const { sessionId } = (await (await created).json()) as RailwaySessionResponse;
    const { expiresAt } = (await stack.service.services.sessions.get(sessionId))!;
    await expect(frame.getByLabel('Mobile number', { exact: true })).toBeVisible();
    // The condition this test is about: the session's own expiry time has passed.
    await expect.poll(() => Date.now(), { timeout: 15_000 }).toBeGreaterThan(expiresAt);

    await frame.getByLabel('Mobile number', { exact: true }).fill(PEOPLE.ravi.mobile);
    await frame.getByLabel('Name', { exact: true }).fill(PEOPLE.ravi.name);
    await frame.getByRole('button', { name: 'Send OTP' }).click();
    await expect(frame.getByText('This request has expired. Start again from the website.')).toBeVisible();
    await frame.getByRole('button', { name: 'Close' }).click();
    await expect(railwayResult(page)).toHaveAttribute('data-code', 'expired');
  });
});
