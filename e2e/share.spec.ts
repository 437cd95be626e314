import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test, widget } from './fixtures.ts';

// The recommended mode: the railway backend creates the session with its API key and a nonce,
// the citizen answers in the frame, the backend verifies the token against the service's JWKS.
for (const person of [PEOPLE.asha, PEOPLE.ravi, PEOPLE.meera]) {
  test(`shares status ${person.status} for ${person.name}, verified by the host backend`, async ({ page, stack }) => {
    const frame = await openRailway(page, stack);
    await expect(frame.getByText('Demo Railways asks for your vaccination status')).toBeVisible();
    await enterOtp(frame, await requestOtp(frame, stack, person));

    await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
    // The consent step says what kind of fact would be shared, not its value: the frame does not know it yet.
    await expect(frame.getByText('Your vaccination status: not vaccinated, partially vaccinated or fully vaccinated.')).toBeVisible();
    await expect(frame.getByText(person.label, { exact: true })).toHaveCount(0);
    await frame.getByRole('button', { name: 'Share', exact: true }).click();

    await expect(frame.getByRole('heading', { name: 'Shared' })).toBeVisible();
    await expect(frame.getByText(`You shared: ${person.label}`)).toBeVisible();
    await expect(railwayResult(page)).toHaveText(`Verified by Demo Railways' server: ${person.label.toLowerCase()} (status ${person.status}).`);
    await frame.getByRole('button', { name: 'Close' }).click();
    await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  });
}

test('a name that matches no one on the mobile is never shared: the frame says so and the check ends "failed"', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await enterOtp(frame, await requestOtp(frame, stack, { ...PEOPLE.asha, name: 'Someone Else' }));
  await expect(frame.getByRole('heading', { name: 'No match on this number' })).toBeFocused();
  await expect(frame.getByText('No one called “Someone Else” is registered on this mobile number.')).toBeVisible();
  await expect(frame.getByRole('button', { name: 'Share', exact: true })).toHaveCount(0);
  await expect(frame.getByText('Not vaccinated', { exact: true })).toHaveCount(0);
  await frame.getByRole('button', { name: 'End the check' }).click();

  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  await expect(railwayResult(page)).toHaveAttribute('data-code', 'failed');
});

test('an unregistered mobile gets the same OTP step (no hint that it is unknown)', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await frame.getByLabel('Mobile number', { exact: true }).fill(PEOPLE.unregistered.mobile);
  await frame.getByLabel('Name', { exact: true }).fill(PEOPLE.unregistered.name);
  await frame.getByRole('button', { name: 'Send OTP' }).click();
  await expect(frame.getByLabel('OTP', { exact: true })).toBeFocused();
  await expect(frame.getByText('If +91 90000 00000 is registered for vaccination, a 6-digit code arrives there by SMS within a minute.')).toBeVisible();
  await expect(frame.getByRole('alert')).toBeEmpty();
});

test('prefilled mobile and name from the host page, still editable', async ({ page, stack }) => {
  const frame = await openRailway(page, stack, { name: 'Ravi Verma', mobile: '98765 43210' });
  const mobile = frame.getByLabel('Mobile number', { exact: true });
  const name = frame.getByLabel('Name', { exact: true });
  await expect(mobile).toHaveValue('98765 43210');
  await expect(name).toHaveValue('Ravi Verma');
  await name.fill('Asha Verma');
  await frame.getByRole('button', { name: 'Send OTP' }).click();
  await expect(frame.getByText('If +91 98765 43210 is registered for vaccination, a 6-digit code arrives there by SMS within a minute.')).toBeVisible();
  await enterOtp(frame, await stack.otp(PEOPLE.asha.mobile));
  await frame.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(frame.getByText('You shared: Fully vaccinated')).toBeVisible();
});

// A host that writes no script: <kyc-vs-button> in a plain form, the widget creates the session
// with the page's nonce, the token is submitted with the form and verified on the hotel's server.
test('hotel check-in with <kyc-vs-button> and a form post', async ({ page, stack }) => {
  await page.goto(`${stack.hostUrl}/hotel`);
  await page.getByLabel('Guest name').fill('Arjun Singh');
  await page.getByRole('button', { name: 'Verify vaccination status' }).click();
  const frame = widget(page);
  await expect(frame.getByText('Demo Hotel asks for your vaccination status')).toBeVisible();
  await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.arjun));
  await frame.getByRole('button', { name: 'Share', exact: true }).click();
  await frame.getByRole('button', { name: 'Close' }).click();

  await expect(page.getByText('Status received: complete check-in to have it verified.')).toBeVisible();
  await page.getByRole('button', { name: 'Complete check-in' }).click();
  await expect(page.locator('#checkin-result')).toHaveAttribute('data-status', '2');
  await expect(page.locator('#checkin-result')).toContainText("Arjun Singh: vaccination status verified by Demo Hotel's server: fully vaccinated.");
});

// WebOTP in a cross-origin frame needs both: the frame allowed `otp-credentials`, and an SMS
// whose last line names the top-level page's host and the frame's host.
test('the frame may use WebOTP and the SMS carries the WebOTP line for this host page', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await expect(page.locator('.kyc-vs-modal iframe')).toHaveAttribute('allow', 'otp-credentials');
  const code = await requestOtp(frame, stack, PEOPLE.asha);
  const text = (await stack.texts(PEOPLE.asha.mobile))[0]!.text;
  expect(text.split('\n').at(-1)).toBe(`@${new URL(stack.hostUrl).host} #${code} @${new URL(stack.serviceUrl).host}`);
});
