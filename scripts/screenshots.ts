// `npm run screenshots`: drives the demo in Chromium and saves a PNG of each step into
// docs/screenshots/ for the README. Uses the e2e stack (two origins, real servers).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium, type Page } from '@playwright/test';
import { startStack } from '../e2e/stack.ts';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';

const OUT = new URL('../docs/screenshots/', import.meta.url).pathname;
const ASHA = { mobile: '9876543210', name: 'Asha Verma' };

function hasDevanagariFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=hi'], { encoding: 'utf8' }).trim() !== '';
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

  if (!hasDevanagariFont()) console.warn('No Devanagari font (e.g. Debian fonts-lohit-deva): the Hindi screenshot will show boxes.');
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
} finally {
  await browser.close();
  await stack.close();
}
