// `npm run screenshots`: drives the demo in Chromium and saves a PNG of each step into
// docs/screenshots/ for the README. Uses the e2e stack (two origins, real servers).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Page } from '@playwright/test';
import { startStack } from '../e2e/stack.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';
import { ta } from '../widget/i18n/ta.ts';

const OUT = new URL('../docs/screenshots/', import.meta.url).pathname;
const ASHA = { mobile: '9876543210', name: 'Asha Verma' };
const ARJUN = { mobile: '9123456780', name: 'Arjun Singh' };

function hasFontFor(lang: string): boolean {
  try {
    return execFileSync('fc-list', [`:lang=${lang}`], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

mkdirSync(OUT, { recursive: true });
const stack = await startStack();
const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${OUT}${name}.png` });
  console.log(`docs/screenshots/${name}.png`);
}

try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 }, locale: 'en-IN' });
  const frame = page.frameLocator('.kyc-vs-modal iframe');
  await page.goto(`${stack.hostUrl}/railway`);
  await page.getByLabel('Passenger name').fill(ASHA.name);
  await page.getByLabel('Passenger mobile').fill(ASHA.mobile);
  await shot(page, '01-railway-booking');

  await page.getByRole('button', { name: 'Verify vaccination status' }).click();
  await frame.getByLabel('Mobile number', { exact: true }).waitFor();
  await shot(page, '02-who-asks-and-details');

  await frame.getByRole('button', { name: 'Send OTP' }).click();
  const code = await stack.otp(ASHA.mobile);
  await page.locator('.sms-list strong', { hasText: code }).waitFor();
  await shot(page, '03-otp-with-demo-sms');

  await frame.getByLabel('OTP', { exact: true }).fill(code === '000000' ? '111111' : '000000');
  await frame.getByRole('button', { name: 'Verify', exact: true }).click();
  await frame.getByRole('alert').filter({ hasText: 'Wrong code' }).waitFor();
  await shot(page, '04-wrong-otp');

  await frame.getByLabel('OTP', { exact: true }).fill(code);
  await frame.getByRole('button', { name: 'Verify', exact: true }).click();
  await frame.getByRole('heading', { name: 'Share your status?' }).waitFor();
  // Share arms once the frame has been in full view for a moment (widget/frame/visibility.ts).
  await frame.locator('button[aria-disabled="false"]', { hasText: 'Share' }).waitFor();
  await shot(page, '05-consent');

  await frame.getByRole('button', { name: 'Share', exact: true }).click();
  await frame.getByRole('heading', { name: 'Shared' }).waitFor();
  await shot(page, '06-shared');

  await frame.getByRole('button', { name: 'Close' }).click();
  await page.locator('#verification-result[data-state="verified"]').waitFor();
  await shot(page, '07-verified-by-host-backend');

  if (!hasFontFor('hi')) console.warn('No Devanagari font (e.g. Debian fonts-lohit-deva): the Hindi screenshot will show boxes.');
  const phone = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, locale: 'hi-IN' });
  await phone.goto(`${stack.hostUrl}/railway`);
  await phone.getByLabel('Passenger mobile').fill(ASHA.mobile);
  await phone.getByRole('button', { name: 'Verify vaccination status' }).click();
  await phone.frameLocator('.kyc-vs-modal iframe').getByLabel('मोबाइल नंबर', { exact: true }).waitFor();
  await shot(phone, '08-phone-360px-hindi');

  const hotel = await browser.newPage({ viewport: { width: 1200, height: 760 }, locale: 'en-IN' });
  await hotel.goto(`${stack.hostUrl}/hotel`);
  await hotel.getByLabel('Guest name').fill('Arjun Singh');
  await shot(hotel, '09-hotel-check-in');

  // Issue 10: a typo in the name, after the code: the correction step, then the names on the mobile.
  const typo = await browser.newPage({ viewport: { width: 1200, height: 760 }, locale: 'en-IN' });
  const typoFrame = typo.frameLocator('.kyc-vs-modal iframe');
  await typo.goto(`${stack.hostUrl}/railway`);
  await typo.getByLabel('Passenger name').fill('Asha Varma');
  await typo.getByLabel('Passenger mobile').fill(ASHA.mobile);
  const sent = stack.service.services.outbox!.list(ASHA.mobile).length;
  await typo.getByRole('button', { name: 'Verify vaccination status' }).click();
  await typoFrame.getByRole('button', { name: 'Send OTP' }).click();
  await typoFrame.getByLabel('OTP', { exact: true }).fill(await stack.otp(ASHA.mobile, sent));
  await typoFrame.getByRole('button', { name: 'Verify', exact: true }).click();
  await typoFrame.getByRole('heading', { name: 'No match on this number' }).waitFor();
  await shot(typo, '10-name-correction');
  await typoFrame.getByRole('button', { name: 'Show the names registered on this number' }).click();
  await typoFrame.getByRole('radio', { name: 'Asha Verma' }).check();
  await shot(typo, '11-name-correction-pick');

  // A non-Latin script at 360 px: the consent step in Tamil (texts from the catalog, so a reviewed wording still matches).
  if (!hasFontFor('ta')) console.warn('No Tamil font (e.g. Debian fonts-lohit-taml): the Tamil screenshot will show boxes.');
  const tamil = await browser.newPage({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, locale: 'ta-IN' });
  const tamilFrame = tamil.frameLocator('.kyc-vs-modal iframe');
  await tamil.goto(`${stack.hostUrl}/railway`);
  await tamil.getByLabel('Language of the check').selectOption('ta');
  await tamil.getByRole('button', { name: 'Verify vaccination status' }).click();
  await tamilFrame.getByLabel(ta.mobileLabel, { exact: true }).fill(ARJUN.mobile);
  await tamilFrame.getByLabel(ta.nameLabel, { exact: true }).fill(ARJUN.name);
  const tamilSent = stack.service.services.outbox!.list(ARJUN.mobile).length;
  await tamilFrame.getByRole('button', { name: ta.sendOtp, exact: true }).click();
  await tamilFrame.getByLabel('OTP', { exact: true }).fill(await stack.otp(ARJUN.mobile, tamilSent));
  await tamilFrame.getByRole('button', { name: ta.verify, exact: true }).click();
  await tamilFrame.getByRole('heading', { name: ta.consentHeading }).waitFor();
  await tamilFrame.locator('button[aria-disabled="false"]', { hasText: ta.share }).waitFor();
  await shot(tamil, '12-phone-360px-tamil');

  // "Who checked my status": /me/ for Asha's mobile, after the railway Share above.
  const me = await browser.newPage({ viewport: { width: 1200, height: 760 }, locale: 'en-IN' });
  await me.goto(`${stack.serviceUrl}/me/`);
  await me.getByLabel('Mobile number').fill(ASHA.mobile);
  const meSent = stack.service.services.outbox!.list(ASHA.mobile).length;
  await me.getByRole('button', { name: 'Send OTP' }).click();
  await me.getByLabel('OTP', { exact: true }).fill(await stack.otp(ASHA.mobile, meSent));
  await me.getByRole('button', { name: 'Sign in' }).click();
  await me.getByRole('region', { name: 'Asha Verma' }).getByRole('listitem').filter({ hasText: 'Demo Railways' }).waitFor();
  await shot(me, '13-me-history');

  // A verification link: the employer's dashboard makes it, the employee opens it on a phone, the dashboard shows the result.
  const hr = await browser.newPage({ viewport: { width: 1200, height: 1000 }, locale: 'en-IN' });
  await hr.goto(`${stack.hostUrl}/employer`);
  await hr.getByLabel('Employee (name or reference, kept on this list only)').fill('Arjun, new joiner');
  await hr.getByRole('button', { name: 'Create verification link' }).click();
  await hr.waitForFunction(() => document.querySelector<HTMLInputElement>('#created-url')?.value.includes('/v/'));
  const linkUrl = await hr.getByLabel('Verification link').inputValue();
  const employee = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, locale: 'en-IN' });
  const linkPage = await employee.newPage();
  await linkPage.goto(linkUrl);
  await linkPage.getByLabel('Mobile number', { exact: true }).fill(ARJUN.mobile);
  await linkPage.getByLabel('Name', { exact: true }).fill(ARJUN.name);
  await shot(linkPage, '14-verification-link');
  const linkSent = stack.service.services.outbox!.list(ARJUN.mobile).length;
  await linkPage.getByRole('button', { name: 'Send OTP', exact: true }).click();
  await linkPage.getByLabel('OTP', { exact: true }).fill(await stack.otp(ARJUN.mobile, linkSent));
  await linkPage.getByRole('button', { name: 'Verify', exact: true }).click();
  await linkPage.locator('button[aria-disabled="false"]', { hasText: 'Share' }).waitFor();
  await linkPage.getByRole('button', { name: 'Share', exact: true }).click();
  await linkPage.getByRole('heading', { name: 'Shared' }).waitFor();
  await employee.close();
  await hr.getByRole('cell', { name: 'Verified: fully vaccinated (status 2)' }).waitFor();
  await shot(hr, '15-employer-dashboard');
} finally {
  await browser.close();
  await stack.close();
}
