// Issue 10 item 2: the frame says what is happening, with real times. A limit shows the service's
// own wait (retry_after) as a local clock time; a wrong code after a resend points at the newest
// code; a minute after a send, every number alike is offered a way back to change it; the privacy
// line names who runs the service; a landscape phone shows the consent buttons without scrolling.
import type { Page } from '@playwright/test';
import { recordHostView, hostView } from './host-observer.ts';
import { PEOPLE, enterOtp, expect, openRailway, requestOtp, test, widget, wrongCode, type Person } from './fixtures.ts';

/** WCAG 2.x contrast ratio of two sRGB colours (0–255 channels). */
function contrast(a: number[], b: number[]): number {
  const luminance = (rgb: number[]) => {
    const [r, g, bl] = rgb.map((c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

const NO_CODE = 'No code? Use the mobile number you gave at vaccination.';

test.describe('with one SMS per mobile per hour', () => {
  test.use({ serviceEnv: { KYCVS_SMS_PER_MOBILE_HOUR: '1', KYCVS_RESEND_AFTER: '1' }, timezoneId: 'Asia/Kolkata' });

  test('a rate limit says when to try again, as a local time from retry_after', async ({ page, stack }) => {
    // The page's clock runs from a known morning (the service keeps real time).
    await page.clock.install({ time: new Date('2025-03-01T12:00:00+05:30') });
    const frame = await openRailway(page, stack);
    await requestOtp(frame, stack, PEOPLE.asha);
    const resend = frame.getByRole('button', { name: 'Resend OTP' });
    await expect(resend).toBeEnabled();

    // Frozen at 12:30:00 for the frame's arithmetic; the hour's quota frees up about an hour after the first text.
    const paused = new Date('2025-03-01T12:30:00+05:30');
    await page.clock.pauseAt(paused);
    const refused = page.waitForResponse((r) => r.url().endsWith('/otp') && r.status() === 429);
    await resend.click();
    const body = (await (await refused).json()) as { error: string; retry_after: number };
    expect(body.error).toBe('rate_limited');
    expect(body.retry_after).toBeGreaterThan(3000);
    // 12:30:00 + retry_after, rounded up to the minute (never early), in the page's language (en): e.g. 1:33 PM.
    const after = new Date(Math.ceil((paused.getTime() + body.retry_after * 1000) / 60_000) * 60_000);
    const [hour, minute] = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', hourCycle: 'h12', timeZone: 'Asia/Kolkata' })
      .format(after)
      .split(/[:\s]/);
    await expect(frame.getByRole('alert')).toHaveText(new RegExp(`^Too many attempts right now\\. Try again after ${Number(hour)}:${minute}\\sPM\\.$`));
  });
});

test.describe('with a 1-second resend wait', () => {
  test.use({ serviceEnv: { KYCVS_RESEND_AFTER: '1' } });

  test('after a resend, a wrong code says to use the newest one', async ({ page, stack }) => {
    const frame = await openRailway(page, stack);
    const first = await requestOtp(frame, stack, PEOPLE.ravi);
    await frame.getByRole('button', { name: 'Resend OTP' }).click();
    const newest = await stack.otp(PEOPLE.ravi.mobile, 1);

    // The older code, as a citizen reading the first text would type it (or any wrong code, should both match).
    await enterOtp(frame, first === newest ? wrongCode(newest) : first);
    await expect(frame.getByRole('alert')).toHaveText('Wrong code. Use the newest code we sent. 4 tries left.');
    await enterOtp(frame, newest);
    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  });
});

/** Frame open at the OTP step for `person` (no code awaited: an unregistered number gets none). */
async function atOtpStep(page: Page, frame: ReturnType<typeof widget>, person: Person) {
  await frame.getByLabel('Mobile number', { exact: true }).fill(person.mobile);
  await frame.getByLabel('Name', { exact: true }).fill(person.name);
  await frame.getByRole('button', { name: 'Send OTP', exact: true }).click();
  await expect(frame.getByLabel('OTP', { exact: true })).toBeFocused();
  return page.locator('.kyc-vs-modal iframe').boundingBox();
}

for (const [label, person] of [
  ['a registered', PEOPLE.asha],
  ['an unregistered', PEOPLE.unregistered],
] as const) {
  test(`a minute after the send, ${label} number is offered a way back, and the host sees no change`, async ({ page, stack }) => {
    await page.clock.install({ time: new Date('2025-03-01T09:00:00') });
    await recordHostView(page);
    const frame = await openRailway(page, stack);
    // The frame's clock stands still from the send on: only the test moves it.
    await page.clock.pauseAt(new Date('2025-03-01T10:00:00'));
    const box = await atOtpStep(page, frame, person);
    const shown = person.mobile === PEOPLE.asha.mobile ? '+91 98765 43210' : '+91 90000 00000';
    await expect(frame.getByText(/within a minute\.$/)).toHaveText(
      `If ${shown} is registered for vaccination, a 6-digit code arrives there by SMS within a minute.`,
    );
    const change = frame.getByRole('button', { name: 'Change mobile number' });
    const hint = frame.getByText(NO_CODE, { exact: true }).filter({ visible: true });
    await page.clock.fastForward(59_000);
    await expect(frame.getByText('The code expires in 2:01.')).toBeVisible();
    await expect(change).toHaveCount(0);
    await expect(hint).toHaveCount(0);
    const seen = (await hostView(page)).observations.length;

    await page.clock.fastForward(1_000);
    await expect(hint).toBeVisible();
    await expect(change).toBeVisible();
    // The frame's size, and everything else the host can observe, is as before the hint.
    expect(await page.locator('.kyc-vs-modal iframe').boundingBox()).toEqual(box);
    expect((await hostView(page)).observations.slice(seen)).toEqual([]);

    await change.click();
    const mobile = frame.getByLabel('Mobile number', { exact: true });
    await expect(mobile).toBeFocused();
    await expect(mobile).toHaveValue(person.mobile);
    await expect(frame.getByLabel('Name', { exact: true })).toHaveValue(person.name);
  });
}

// The hotel's frame makes its own session, so a changed number gets a session of its own (a
// session's person is fixed by its first code).
test('after "No code?", the right number gets its code and the check goes on', async ({ page, stack }) => {
  await page.clock.install();
  await page.goto(`${stack.hostUrl}/hotel`);
  await page.getByLabel('Guest name').fill(PEOPLE.arjun.name);
  await page.getByRole('button', { name: 'Verify vaccination status' }).click();
  const frame = widget(page);
  await atOtpStep(page, frame, { mobile: PEOPLE.unregistered.mobile, name: PEOPLE.arjun.name });
  await page.clock.fastForward('01:00');
  await frame.getByRole('button', { name: 'Change mobile number' }).click();

  await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.arjun));
  await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
});

test.describe('on a landscape phone, with the issuer named by KYCVS_ISSUER_NAME', () => {
  test.use({ viewport: { width: 740, height: 360 }, serviceEnv: { KYCVS_ISSUER_NAME: 'Test Health Service' } });

  test('the consent buttons are in view without scrolling, and the privacy line names the issuer', async ({ page, stack }) => {
    const frame = await openRailway(page, stack);
    await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.asha));
    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeFocused();
    await expect(frame.getByText('If you share, Demo Railways receives one fact, signed by Test Health Service:')).toBeVisible();
    await expect(frame.getByText(/^Demo Railways learns only/)).toHaveText(
      'Demo Railways learns only your vaccination status and a number that identifies you to Demo Railways alone: ' +
        'never your name, mobile number, vaccine or dates. This check is run by Test Health Service.',
    );

    for (const name of ['Share', "Don't share"]) {
      const box = (await frame.getByRole('button', { name, exact: true }).boundingBox())!;
      expect(box.y, name).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height, name).toBeLessThanOrEqual(360);
      expect(box.x, name).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, name).toBeLessThanOrEqual(740);
    }
    // Nothing was scrolled inside the frame to get there.
    expect(await frame.locator('html').evaluate((html) => html.scrollTop)).toBe(0);

    // The keyboard's focus ring on Share, against the page behind it: at least 3:1.
    await page.keyboard.press('Tab');
    const share = frame.getByRole('button', { name: 'Share', exact: true });
    await expect(share).toBeFocused();
    const ring = await share.evaluate((button) => {
      const rgb = (color: string) => color.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number);
      const style = getComputedStyle(button);
      return { visible: button.matches(':focus-visible'), width: parseFloat(style.outlineWidth), ring: rgb(style.outlineColor), page: rgb(getComputedStyle(document.body).backgroundColor) };
    });
    expect(ring.visible).toBe(true);
    expect(ring.width).toBeGreaterThanOrEqual(2);
    expect(contrast(ring.ring, ring.page)).toBeGreaterThanOrEqual(3);
  });
});

test('the privacy line names the demo issuer by default', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await expect(frame.getByText(/This check is run by KYC-VS demo\.$/)).toBeVisible();
});
