import { PEOPLE, expect, openRailway, railwayResult, test, widget, wrongCode } from './fixtures.ts';

test('Hindi through the lang option: labels, errors and the shared status in Hindi', async ({ page, stack }) => {
  const frame = await openRailway(page, stack, { lang: 'hi' });
  await expect(frame.locator('html')).toHaveAttribute('lang', 'hi');
  await expect(frame.getByText('डेमो रेलवे को आपकी टीकाकरण स्थिति चाहिए')).toBeVisible();
  await frame.getByLabel('मोबाइल नंबर', { exact: true }).fill(PEOPLE.asha.mobile);
  await frame.getByLabel('नाम', { exact: true }).fill(PEOPLE.asha.name);
  await frame.getByRole('button', { name: 'OTP भेजें' }).click();
  const code = await stack.otp(PEOPLE.asha.mobile);

  await frame.getByLabel('OTP', { exact: true }).fill(wrongCode(code));
  await frame.getByRole('button', { name: 'सत्यापित करें' }).click();
  await expect(frame.getByRole('alert')).toHaveText('गलत कोड। 4 प्रयास बाकी।');
  await frame.getByLabel('OTP', { exact: true }).fill(code);
  await frame.getByRole('button', { name: 'सत्यापित करें' }).click();

  await expect(frame.getByRole('heading', { name: 'अपनी स्थिति साझा करें?' })).toBeVisible();
  await frame.getByRole('button', { name: 'साझा करें', exact: true }).click();
  await expect(frame.getByRole('heading', { name: 'साझा किया गया' })).toBeVisible();
  await expect(frame.getByText('आपने साझा किया: पूर्ण रूप से टीकाकृत')).toBeVisible();
  await expect(railwayResult(page)).toHaveAttribute('data-code', '2');
});

test.describe('in a browser set to Hindi', () => {
  test.use({ locale: 'hi-IN' });

  test('the frame follows the browser language when the host passes none', async ({ page, stack }) => {
    await page.goto(`${stack.hostUrl}/railway`);
    await page.getByRole('button', { name: 'Verify vaccination status' }).click();
    const frame = widget(page);
    await expect(frame.getByLabel('मोबाइल नंबर', { exact: true })).toBeVisible();
    await expect(frame.getByRole('button', { name: 'रद्द करें' })).toBeVisible();
    await expect(page.getByRole('dialog', { name: 'टीकाकरण स्थिति जाँच' })).toBeVisible();
  });
});
