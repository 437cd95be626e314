// The language switcher inside the frame: the same step in another language, nothing typed lost,
// the SMS in the frame's language, and nothing the host page can see while the height is frozen.
import { PEOPLE, expect, openRailway, test } from './fixtures.ts';
import { recordHostView } from './host-observer.ts';

test('switching to Hindi re-renders the step with what was typed; the SMS is in Hindi; the switch reports no height from the OTP step on', async ({ page, stack }) => {
  await recordHostView(page);
  const frame = await openRailway(page, stack);
  const person = PEOPLE.arjun;
  await frame.getByLabel('Mobile number', { exact: true }).fill(person.mobile);
  await frame.getByLabel('Name', { exact: true }).fill(person.name);

  // Each language is offered in its own name.
  const switcher = frame.getByRole('combobox', { name: 'Language' });
  await expect(switcher.getByRole('option', { name: 'हिन्दी' })).toHaveAttribute('lang', 'hi');
  await switcher.selectOption({ label: 'हिन्दी' });

  await expect(frame.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(frame.getByLabel('मोबाइल नंबर', { exact: true })).toHaveValue(person.mobile);
  await expect(frame.getByLabel('नाम', { exact: true })).toHaveValue(person.name);
  // Who asks, as the railway registered it in Hindi.
  await expect(frame.getByText('डेमो रेलवे', { exact: false }).first()).toBeVisible();
  await expect(frame.getByText('उद्देश्य: ट्रेन में सवार होना')).toBeVisible();
  await expect(frame.getByRole('combobox', { name: 'भाषा' })).toHaveValue('hi');

  const seen = (await stack.texts(person.mobile)).length;
  await frame.getByRole('button', { name: 'OTP भेजें' }).click();
  const code = await stack.otp(person.mobile, seen);
  const sms = (await stack.texts(person.mobile))[0]!.text;
  expect(sms.split('\n')[0]).toBe(`${code} आपका KYC-VS कोड है। डेमो रेलवे को आपकी टीकाकरण स्थिति चाहिए (ट्रेन में सवार होना)।`);
  expect(sms).toContain(`\nकिसने जाँचा: ${stack.service.config.issuer}/me/\n`);

  // The OTP step: from here to the decision the host hears no height, language switches included.
  const otpField = frame.getByLabel('OTP', { exact: true });
  await expect(otpField).toBeVisible();
  await otpField.fill('12');
  const resizes = () => page.evaluate(() => window.hostView.observations.filter((o) => o.detail.includes('kycvs:resize') || o.kind === 'frame-attribute').length);
  const before = await resizes();

  await frame.getByRole('combobox', { name: 'भाषा' }).selectOption('en');
  await expect(frame.locator('html')).toHaveAttribute('lang', 'en');
  await expect(frame.getByRole('button', { name: 'Verify', exact: true })).toBeVisible();
  await expect(otpField).toHaveValue('12');
  await expect(frame.getByText('Purpose: Boarding a train')).toBeVisible();

  await frame.getByRole('combobox', { name: 'Language' }).selectOption('hi');
  await expect(frame.getByRole('button', { name: 'सत्यापित करें' })).toBeVisible();
  await expect(otpField).toHaveValue('12');
  expect(await resizes(), 'no height reported, no frame attribute changed').toBe(before);

  // The check goes on in Hindi, with the code the Hindi SMS carried.
  await otpField.fill(code);
  await frame.getByRole('button', { name: 'सत्यापित करें' }).click();
  await expect(frame.getByRole('button', { name: 'साझा करें', exact: true })).toBeVisible();
});

test('a language the railway registered nothing in: English who-asks, marked lang="en" inside the Hindi page, in the header and in the steps\' sentences', async ({ page, stack }) => {
  // No Hindi text for the railway: what a verifier that registered only English looks like.
  await stack.service.services.flowDeps.clientTexts.set('demo-railway', 'hi', { name: null, purpose: null });
  const frame = await openRailway(page, stack, { lang: 'hi' });
  await expect(frame.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(frame.locator('header [lang="en"]', { hasText: 'Demo Railways' })).toBeVisible();
  await expect(frame.locator('header .purpose [lang="en"]')).toHaveText('Boarding a train');

  // The consent step's sentence names the verifier: the English name inside it is marked too.
  const person = PEOPLE.asha;
  await frame.getByLabel('मोबाइल नंबर', { exact: true }).fill(person.mobile);
  await frame.getByLabel('नाम', { exact: true }).fill(person.name);
  const seen = (await stack.texts(person.mobile)).length;
  await frame.getByRole('button', { name: 'OTP भेजें' }).click();
  await frame.getByLabel('OTP', { exact: true }).fill(await stack.otp(person.mobile, seen));
  await frame.getByRole('button', { name: 'सत्यापित करें' }).click();
  const intro = frame.getByText('साझा करने पर Demo Railways को केवल एक जानकारी मिलेगी', { exact: false });
  await expect(intro).toBeVisible();
  await expect(intro.locator('[lang="en"]')).toHaveText('Demo Railways');

  // And the done step's.
  await frame.getByRole('button', { name: 'साझा करें', exact: true }).click();
  const done = frame.getByText('Demo Railways को आपकी टीकाकरण स्थिति मिल गई है।');
  await expect(done).toBeVisible();
  await expect(done.locator('[lang="en"]')).toHaveText('Demo Railways');
});
