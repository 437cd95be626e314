import { test as base, expect, type FrameLocator, type Page } from '@playwright/test';
import type { TestStore } from '../test-support/harness.ts';
import { startStack, type Stack } from './stack.ts';

export { expect };

/** The demo registry, as a citizen would type it. */
export const PEOPLE = {
  asha: { mobile: '9876543210', name: 'Asha Verma', status: 2, label: 'Fully vaccinated' },
  ravi: { mobile: '9876543210', name: 'Ravi Verma', status: 1, label: 'Partially vaccinated' },
  meera: { mobile: '9876543210', name: 'Meera Verma', status: 0, label: 'Not vaccinated' },
  arjun: { mobile: '9123456780', name: 'Arjun Singh', status: 2, label: 'Fully vaccinated' },
  unregistered: { mobile: '9000000000', name: 'Kiran Rao', status: 0, label: 'Not vaccinated' },
} as const;

export interface Person {
  mobile: string;
  name: string;
}

interface Fixtures {
  /** Service environment for this test (e.g. a short OTP lifetime); each test gets its own stack. */
  serviceEnv: Record<string, string>;
  /** Session lifetime for this test's service, in seconds (default: the service's own). */
  sessionTtl: number | undefined;
  /** Which stores the service runs on: set per Playwright project (playwright.config.ts). */
  store: TestStore;
  stack: Stack;
}

export const test = base.extend<Fixtures>({
  serviceEnv: [{}, { option: true }],
  sessionTtl: [undefined, { option: true }],
  store: ['sqlite', { option: true }],
  stack: async ({ serviceEnv, sessionTtl, store }, use) => {
    const stack = await startStack(serviceEnv, sessionTtl, store);
    await use(stack);
    await stack.close();
  },
  // The browser context depends on the stack, so it closes first: open pages keep connections
  // to the servers alive (the outbox panel polls), and a server waits for them before it stops.
  context: async ({ stack: _stack, context }, use) => {
    await use(context);
  },
});

/** The open verification frame (inside the loader's shadow root, which Playwright's CSS pierces). */
export function widget(page: Page): FrameLocator {
  return page.frameLocator('.kyc-vs-modal iframe');
}

/** The railway page with the passenger's details typed in (or not), then its Verify button pressed. */
export async function openRailway(page: Page, stack: Stack, prefill: { name?: string; mobile?: string; lang?: string } = {}) {
  await page.goto(`${stack.hostUrl}/railway`);
  if (prefill.name) await page.getByLabel('Passenger name').fill(prefill.name);
  if (prefill.mobile) await page.getByLabel('Passenger mobile').fill(prefill.mobile);
  if (prefill.lang) await page.getByLabel('Language of the check').selectOption(prefill.lang);
  await page.getByRole('button', { name: 'Verify vaccination status' }).click();
  return widget(page);
}

/** Mobile number and name in the frame, then Send OTP; resolves with the code the SMS carried. */
export async function requestOtp(frame: FrameLocator, stack: Stack, person: Person): Promise<string> {
  await frame.getByLabel('Mobile number', { exact: true }).fill(person.mobile);
  await frame.getByLabel('Name', { exact: true }).fill(person.name);
  // Texts already in the outbox for this mobile (an earlier check): wait for the one this click sends.
  const seen = (await stack.texts(person.mobile)).length;
  await frame.getByRole('button', { name: 'Send OTP', exact: true }).click();
  return stack.otp(person.mobile, seen);
}

export async function enterOtp(frame: FrameLocator, code: string): Promise<void> {
  await frame.getByLabel('OTP', { exact: true }).fill(code);
  await frame.getByRole('button', { name: 'Verify', exact: true }).click();
}

/** The railway page's result line, written from what its backend verified. */
export function railwayResult(page: Page) {
  return page.locator('#verification-result');
}

/** A 6-digit code that is not `code`. */
export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

