import { AxeBuilder } from '@axe-core/playwright';
import type { Frame, FrameLocator, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults } from 'axe-core';
import { PEOPLE, expect, openRailway, test } from './fixtures.ts';

// axe-core on every step of the frame, as the citizen sees it inside the demo railway page, in
// three languages and at a phone's and a desktop's width. The host page is checked with it: the
// frame's title, the dialog's name and focus handling are part of what a screen reader meets.
const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe run inside the frame's own document: axe-core/playwright does not follow an iframe held in a shadow root. */
async function axeInFrame(frame: Frame): Promise<AxeResults> {
  if (!(await frame.evaluate(() => 'axe' in window))) await frame.evaluate(AXE_SOURCE);
  return frame.evaluate(
    (tags) => (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    WCAG_22_AA,
  );
}

/** A page of the service's own (no frame inside). */
async function expectPageClean(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  expect(violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), `axe on ${what}`).toEqual([]);
}

/** The host page (with the dialog around the frame) and the frame's document. */
async function expectNoViolations(page: Page, step: string): Promise<void> {
  const frame = page.frames().find((f) => new URL(f.url()).pathname.startsWith('/widget/'));
  expect(frame, 'the verification frame').toBeDefined();
  const results = [await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze(), await axeInFrame(frame!)];
  const found = results.flatMap((r) => r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  expect(found, `axe on the ${step} step`).toEqual([]);
}

const LANGS = ['en', 'hi', 'ta'] as const;

/** Fills the inputs by name and presses the step's submit button: the labels differ by language. */
async function submit(scope: Page | FrameLocator, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await scope.locator(`input[name="${name}"]`).fill(value);
  await scope.locator('button[type="submit"]').click();
}

for (const { width, height } of [
  { width: 360, height: 740 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height } });

    for (const lang of LANGS) {
      test(`${lang}: every step of the frame, the history page and the link page have no WCAG 2.2 AA violations`, async ({ page, browser, stack }) => {
        test.slow();
        const frame = await openRailway(page, stack, { lang });
        await expect(frame.locator('html')).toHaveAttribute('lang', lang);
        await expect(frame.locator('input[name="mobile"]')).toBeVisible();
        await expectNoViolations(page, 'details');

        // A typo in the name: the code step, then the correction step with the mobile's names shown.
        await submit(frame, { mobile: PEOPLE.asha.mobile, name: 'Asha Varma' });
        const code = await stack.otp(PEOPLE.asha.mobile);
        await expect(frame.locator('input[name="otp"]')).toBeVisible();
        await expectNoViolations(page, 'code');
        await submit(frame, { otp: code });
        await expect(frame.locator('kycvs-correction-step')).toBeVisible();
        await frame.locator('kycvs-correction-step button[type="button"]').first().click();
        await expect(frame.locator('input[name="member"]').first()).toBeVisible();
        await expectNoViolations(page, 'name correction');

        await frame.locator(`input[name="member"][value="${PEOPLE.asha.name}"]`).check();
        await frame.locator('kycvs-correction-step button[type="submit"]').click();
        const share = frame.locator('kycvs-consent-step button.primary');
        await expect(share).toBeEnabled();
        await expectNoViolations(page, 'consent');
        await share.click();
        await expect(frame.locator('[data-status="2"]')).toBeVisible();
        await expectNoViolations(page, 'done');

        // The citizen's history page, in the same language.
        const me = await page.context().newPage();
        await me.goto(`${stack.serviceUrl}/me/?lang=${lang}`);
        await expect(me.locator('html')).toHaveAttribute('lang', lang);
        await expect(me.locator('input[name="mobile"]')).toBeVisible();
        await expectPageClean(me, '/me/ sign-in');
        await submit(me, { mobile: PEOPLE.asha.mobile });
        await expect(me.locator('input[name="otp"]')).toBeVisible();
        await expectPageClean(me, '/me/ code');
        await submit(me, { otp: await stack.otp(PEOPLE.asha.mobile, 1) });
        await expect(me.locator('time').first()).toBeVisible();
        await expectPageClean(me, '/me/ history');

        // A verification link made by a host backend, opened in a fresh browser.
        const created = await fetch(`${stack.serviceUrl}/v1/sessions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.service.config.demoApiKeys.employer}`, 'content-type': 'application/json' },
          body: '{}',
        });
        const { verification_url: url } = (await created.json()) as { verification_url: string };
        const context = await browser.newContext({ viewport: { width, height } });
        const employee = await context.newPage();
        await employee.goto(`${url}?lang=${lang}`);
        await expect(employee.locator('input[name="mobile"]')).toBeVisible();
        await expectPageClean(employee, 'the link page');
        await context.close();
      });
    }
  });
}
