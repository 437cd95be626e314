import { AxeBuilder } from '@axe-core/playwright';
import type { Frame, Page } from '@playwright/test';
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

/** The host page (with the dialog around the frame) and the frame's document. */
async function expectNoViolations(page: Page, step: string): Promise<void> {
  const frame = page.frames().find((f) => new URL(f.url()).pathname.startsWith('/widget/'));
  expect(frame, 'the verification frame').toBeDefined();
  const results = [await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze(), await axeInFrame(frame!)];
  const found = results.flatMap((r) => r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  expect(found, `axe on the ${step} step`).toEqual([]);
}

const LANGS = [
  { lang: 'en', share: 'Share', done: 'Shared' },
  { lang: 'hi', share: 'साझा करें', done: 'साझा किया गया' },
] as const;

for (const { width, height } of [
  { width: 360, height: 740 },
  { width: 1280, height: 800 },
]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height } });

    for (const { lang, share, done } of LANGS) {
      test(`${lang}: details, code, consent and done steps have no WCAG 2.2 AA violations`, async ({ page, stack }) => {
        const frame = await openRailway(page, stack, { lang });
        await expect(frame.locator('html')).toHaveAttribute('lang', lang);
        await expect(frame.locator('input[name="mobile"]')).toBeVisible();
        await expectNoViolations(page, 'details');

        // By field name and the form's submit button: the labels differ by language.
        await frame.locator('input[name="mobile"]').fill(PEOPLE.asha.mobile);
        await frame.locator('input[name="name"]').fill(PEOPLE.asha.name);
        await frame.locator('button[type="submit"]').click();
        const code = await stack.otp(PEOPLE.asha.mobile);
        await expect(frame.locator('input[name="otp"]')).toBeVisible();
        await expectNoViolations(page, 'code');

        await frame.locator('input[name="otp"]').fill(code);
        await frame.locator('button[type="submit"]').click();
        const shareButton = frame.getByRole('button', { name: share, exact: true });
        await expect(shareButton).toBeEnabled();
        await expectNoViolations(page, 'consent');

        await shareButton.click();
        await expect(frame.getByRole('heading', { name: done })).toBeVisible();
        await expectNoViolations(page, 'done');
      });
    }
  });
}
