// Issue 9 item 5: an allowlisted host page must not be able to have the citizen press Share on a
// frame they cannot see (made transparent, filtered, transformed, or covered by the host's own
// decoy). The loader offers no styling hook that could do it; the frame arms Share only after it
// has been in full view for 500 ms (IntersectionObserver v2 in Chromium). Clicks here are real
// mouse clicks at the button's place on the screen (page.mouse), as a tricked citizen's would be.
import type { FrameLocator, Locator, Page } from '@playwright/test';
import { hostView, recordHostView } from './host-observer.ts';
import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test } from './fixtures.ts';

/** The frame's arming delay (widget/frame/visibility.ts). */
const ARM_AFTER_MS = 500;

test.beforeEach(async ({ page }) => {
  await recordHostView(page);
});

/** A real click at the middle of `target`, wherever it is drawn: no actionability checks. */
async function clickAt(page: Page, target: Locator): Promise<void> {
  const box = (await target.boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

const share = (frame: FrameLocator) => frame.getByRole('button', { name: 'Share', exact: true });
const dontShare = (frame: FrameLocator) => frame.getByRole('button', { name: "Don't share" });

/** Runs the check up to the consent step; `before` runs while the OTP step shows. */
async function toConsent(page: Page, stack: Parameters<typeof requestOtp>[1], before?: () => Promise<void>): Promise<FrameLocator> {
  const frame = await openRailway(page, stack);
  const code = await requestOtp(frame, stack, PEOPLE.asha);
  await before?.();
  await enterOtp(frame, code);
  await expect(frame.getByRole('heading', { name: 'Share your status?' })).toBeVisible();
  return frame;
}

/**
 * Share is off and says why, and stays so past the arming delay: the condition the attack is about
 * (had the frame been in view, Share would have armed by now).
 */
async function expectShareStaysOff(frame: FrameLocator): Promise<void> {
  await expect(share(frame)).toHaveAttribute('aria-disabled', 'true');
  await expect(share(frame)).toHaveAccessibleDescription('Share turns on once this window has been fully in view for a moment.');
  const since = Date.now();
  await expect.poll(() => Date.now()).toBeGreaterThan(since + 3 * ARM_AFTER_MS);
  await expect(share(frame)).toBeDisabled();
}

/** A real click on Share does nothing; Don't share (never guarded) then ends the check as "denied". */
async function expectShareIgnored(page: Page, frame: FrameLocator): Promise<void> {
  await clickAt(page, share(frame));
  // Input is handled in order: had Share gone through, this click would find the check over.
  await clickAt(page, dontShare(frame));
  await expect(railwayResult(page)).toHaveAttribute('data-code', 'denied');
  const types = (await hostView(page)).observations.filter((o) => o.kind === 'port-message').map((o) => JSON.parse(o.detail).type);
  expect(types).not.toContain('kycvs:result');
  expect(types).toContain('kycvs:deny');
}

test('in full view, Share arms after a moment and a real click shares', async ({ page, stack }) => {
  const frame = await toConsent(page, stack);
  await expect(share(frame)).toBeEnabled();
  await expect(share(frame)).toHaveAccessibleDescription('');
  await clickAt(page, share(frame));
  await expect(frame.getByText('You shared: Fully vaccinated')).toBeVisible();
  await expect(railwayResult(page)).toHaveText("Verified by Demo Railways' server: fully vaccinated (status 2).");
});

test('the host page cannot restyle the modal: no ::part, and its own !important rules lose', async ({ page, stack }) => {
  const frame = await toConsent(page, stack, () =>
    page.evaluate(() => {
      const attack = 'opacity:.01!important;filter:opacity(0)!important;transform:rotate(2deg) scale(.5)!important;visibility:hidden!important;pointer-events:none!important;mix-blend-mode:multiply!important;clip-path:inset(50%)!important;';
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(`.kyc-vs-modal, .kyc-vs-modal::part(backdrop), .kyc-vs-modal::part(dialog), .kyc-vs-modal::part(frame) {${attack}}`);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
      const modal = document.querySelector<HTMLElement>('.kyc-vs-modal')!;
      for (const rule of attack.split(';').filter(Boolean)) {
        const [property, value] = rule.split(':') as [string, string];
        modal.style.setProperty(property, value.replace('!important', ''), 'important');
      }
    }),
  );
  // From the iframe up to the loader's element, nothing the page wrote applies.
  const styles = await page.locator('.kyc-vs-modal iframe').evaluate((iframe) => {
    const seen = [];
    for (let el: Element | null = iframe; el; el = el.parentElement ?? ((el.getRootNode() as ShadowRoot).host || null)) {
      const s = getComputedStyle(el);
      seen.push({ opacity: s.opacity, filter: s.filter, transform: s.transform, visibility: s.visibility, pointerEvents: s.pointerEvents, clipPath: s.clipPath, mixBlendMode: s.mixBlendMode });
      if (el.classList.contains('kyc-vs-modal')) break;
    }
    return seen;
  });
  // The iframe, the dialog (also the backdrop) and the loader's element, at least.
  expect(styles.length).toBeGreaterThanOrEqual(3);
  for (const s of styles) {
    expect(s).toEqual({ opacity: '1', filter: 'none', transform: 'none', visibility: 'visible', pointerEvents: 'auto', clipPath: 'none', mixBlendMode: 'normal' });
  }
  // So the citizen sees the frame, and Share works as usual.
  await expect(share(frame)).toBeEnabled();
  await clickAt(page, share(frame));
  await expect(railwayResult(page)).toHaveAttribute('data-code', '2');
});

test('a host page that fades the frame (opacity .01 on an ancestor) gets no token from a real click on Share', async ({ page, stack }) => {
  const frame = await toConsent(page, stack, () => page.evaluate(() => document.body.style.setProperty('opacity', '0.01')));
  await expectShareStaysOff(frame);
  await expectShareIgnored(page, frame);
});

test('a host page that lays its own element over the frame gets no token from a real click on Share', async ({ page, stack }) => {
  // The decoy goes over the frame while the OTP step shows (the frame's size is fixed from then
  // on), so Share never had a moment in view; it lets clicks through to the frame.
  const frame = await toConsent(page, stack, async () => {
    const box = (await page.locator('.kyc-vs-modal iframe').boundingBox())!;
    await page.evaluate((rect) => {
      const decoy = document.createElement('div');
      decoy.textContent = 'Claim your free upgrade';
      Object.assign(decoy.style, {
        position: 'fixed', left: `${rect.x}px`, top: `${rect.y}px`, width: `${rect.width}px`, height: `${rect.height}px`,
        zIndex: '2147483647', pointerEvents: 'none', background: '#fff',
      });
      document.body.append(decoy);
    }, box);
  });
  await expectShareStaysOff(frame);
  await expectShareIgnored(page, frame);
});

test('Share turns off when the frame is hidden after it armed, and on again once it is back in view', async ({ page, stack }) => {
  const frame = await toConsent(page, stack);
  await expect(share(frame)).toBeEnabled();
  const hiddenAt = Date.now();
  await page.evaluate(() => document.body.style.setProperty('filter', 'opacity(0.01)'));
  await expect(share(frame)).toBeDisabled();
  console.log(`figure: Share off ${Date.now() - hiddenAt} ms after the host hid the frame (as seen by the test's polling)`);
  await clickAt(page, share(frame));
  await page.evaluate(() => document.body.style.removeProperty('filter'));
  await expect(share(frame)).toBeEnabled();
  await clickAt(page, share(frame));
  await expect(railwayResult(page)).toHaveAttribute('data-code', '2');
  // The click while hidden did nothing: exactly one result, after the one that counted.
  const types = (await hostView(page)).observations.filter((o) => o.kind === 'port-message').map((o) => JSON.parse(o.detail).type);
  expect(types.filter((type) => type === 'kycvs:result')).toHaveLength(1);
});

test.describe('on a 360 px phone', () => {
  test.use({ viewport: { width: 360, height: 740 } });

  test('the full-screen sheet arms Share too, and a real click shares', async ({ page, stack }) => {
    const frame = await toConsent(page, stack);
    await expect(share(frame)).toBeEnabled();
    await clickAt(page, share(frame));
    await expect(railwayResult(page)).toHaveAttribute('data-code', '2');
  });
});
