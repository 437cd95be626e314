import { PEOPLE, enterOtp, expect, openRailway, requestOtp, test, wrongCode } from './fixtures.ts';

test('a wrong OTP is announced with the tries left, then the right one goes through', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  const code = await requestOtp(frame, stack, PEOPLE.asha);
  const otp = frame.getByLabel('OTP', { exact: true });

  await enterOtp(frame, wrongCode(code));
  await expect(frame.getByRole('alert')).toHaveText('Wrong code. 4 tries left.');
  await expect(otp).toHaveAttribute('aria-invalid', 'true');
  await expect(otp).toBeFocused();

  await enterOtp(frame, code);
  await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  await expect(frame.getByRole('alert')).toBeEmpty();
});

test.describe('with a 2-second OTP', () => {
  test.use({ serviceEnv: { KYCVS_OTP_TTL: '2', KYCVS_RESEND_AFTER: '1' } });

  test('an expired OTP is shown, refused by the service, and a resent one works', async ({ page, stack }) => {
    const frame = await openRailway(page, stack);
    const code = await requestOtp(frame, stack, PEOPLE.ravi);
    await expect(frame.getByText('The code expires in 0:0')).toBeVisible();
    // The frame's clock started after the service's, so once it says expired, the service agrees.
    await expect(frame.getByText('The code has expired. Ask for a new one.')).toBeVisible();

    await enterOtp(frame, code);
    await expect(frame.getByRole('alert')).toHaveText('The code has expired. Press “Resend OTP” for a new one.');

    await frame.getByRole('button', { name: 'Resend OTP' }).click();
    // Fill and submit in one go: the new code, too, lives only 2 seconds.
    await enterOtp(frame, await stack.otp(PEOPLE.ravi.mobile, 1));
    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  });
});

test.describe('with a 2-second resend wait', () => {
  test.use({ serviceEnv: { KYCVS_RESEND_AFTER: '2' } });

  test('Resend OTP counts down, then sends a new code that replaces the old one', async ({ page, stack }) => {
    const frame = await openRailway(page, stack);
    const first = await requestOtp(frame, stack, PEOPLE.meera);
    const resend = frame.getByRole('button', { name: 'Resend OTP' });

    await expect(resend).toBeDisabled();
    await expect(frame.getByText(/^You can ask for a new code in [12] s\.$/)).toBeVisible();
    await expect(resend).toBeEnabled();
    await resend.click();
    await expect(frame.getByRole('status')).toHaveText('A new code is on its way.');
    const second = await stack.otp(PEOPLE.meera.mobile, 1);
    await expect(resend).toBeDisabled();

    if (second !== first) {
      await enterOtp(frame, first);
      await expect(frame.getByRole('alert')).toHaveText('Wrong code. Use the newest code we sent. 4 tries left.');
    }
    await enterOtp(frame, second);
    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  });
});
