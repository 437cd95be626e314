import { PEOPLE, enterOtp, expect, openRailway, railwayResult, requestOtp, test } from './fixtures.ts';

declare global {
  interface Window {
    /** Every message event the host page received: origin and message type. */
    seenMessages: { origin: string; type: unknown; token: unknown }[];
  }
}

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    window.seenMessages = [];
    window.addEventListener('message', (event) => {
      const data = (event.data ?? {}) as { type?: unknown; token?: unknown };
      window.seenMessages.push({ origin: event.origin, type: data.type, token: data.token });
    });
  });
});

test('a host origin not on the allowlist gets no frame and no message', async ({ page, stack }) => {
  const foreign = await stack.startForeignHost();
  const framePage = page.waitForResponse((response) => response.url().startsWith(`${stack.serviceUrl}/widget/`));
  await page.goto(`${foreign.url}/hotel`);
  const outcome = page.evaluate(
    () => new Promise((resolve) => document.addEventListener('kycvs-error', (event) => resolve((event as CustomEvent).detail), { once: true })),
  );
  await page.getByRole('button', { name: 'Verify vaccination status' }).click();

  const response = await framePage;
  expect(response.status()).toBe(403);
  expect(response.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(await outcome).toEqual({ code: 'blocked_origin', message: `${foreign.url} is not allowed` });
  await expect(page.locator('.kyc-vs-modal')).toHaveCount(0);
  expect(await page.evaluate(() => window.seenMessages)).toEqual([]);
});

test('messages from any window but its own frame are ignored, even from the service origin', async ({ page, stack }) => {
  const frame = await openRailway(page, stack);
  await expect(frame.getByLabel('Mobile number', { exact: true })).toBeVisible();

  // An intruder: a second, real frame page from the same service origin, allowed for this host.
  const intruderUrl = `${stack.serviceUrl}/widget/?client_id=demo-railway&origin=${encodeURIComponent(stack.hostUrl)}`;
  await page.evaluate((src) => {
    const intruder = document.createElement('iframe');
    intruder.name = 'intruder';
    intruder.src = src;
    document.body.append(intruder);
  }, intruderUrl);
  await expect.poll(() => page.frame({ name: 'intruder' })?.url()).toBe(intruderUrl);
  const intruder = page.frame({ name: 'intruder' })!;
  await intruder.waitForLoadState();
  await intruder.evaluate(() => {
    for (const type of ['kycvs:ready', 'kycvs:result', 'kycvs:cancel']) {
      window.parent.postMessage({ type, v: 1, token: 'forged', status: 2 }, '*');
    }
  });
  // And a script on the host page itself pretending to be the frame.
  await page.evaluate(() => window.postMessage({ type: 'kycvs:result', v: 1, token: 'forged', status: 2 }, '*'));

  // All forged messages (and the intruder's own genuine 'ready') reached the page…
  await expect.poll(() => page.evaluate(() => window.seenMessages.filter((m) => m.token === 'forged').length)).toBe(4);
  await expect.poll(() => page.evaluate(() => window.seenMessages.filter((m) => m.type === 'kycvs:ready').length)).toBe(3);
  // …and changed nothing: the check is still open, and only the real answer counts.
  await expect(railwayResult(page)).toHaveAttribute('data-state', 'pending');
  await enterOtp(frame, await requestOtp(frame, stack, PEOPLE.ravi));
  await frame.getByRole('button', { name: 'Share', exact: true }).click();
  await expect(railwayResult(page)).toHaveText("Verified by Demo Railways' server: partially vaccinated (status 1).");
  // After the handshake, the real frame never used window messages: only its private port.
  const fromService = await page.evaluate(() => window.seenMessages.filter((m) => m.token !== 'forged').map((m) => m.type));
  expect(fromService).toEqual(['kycvs:ready', 'kycvs:ready']);
});

test('the frame page refuses an unknown client, and no site may frame that page', async ({ page, stack }) => {
  const response = (await page.goto(`${stack.serviceUrl}/widget/?client_id=no-such-client&origin=${encodeURIComponent(stack.hostUrl)}`))!;
  expect(response.status()).toBe(404);
  const csp = response.headers()['content-security-policy']!;
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("script-src 'self'");
  await expect(page.getByText('This website is not registered for vaccination status checks.')).toBeVisible();
  await expect(page.getByRole('button')).toHaveCount(0);
});

test('an allowed frame page may be framed by that one origin only, and says so when opened directly', async ({ page, stack }) => {
  const response = (await page.goto(`${stack.serviceUrl}/widget/?client_id=demo-railway&origin=${encodeURIComponent(stack.hostUrl)}`))!;
  expect(response.status()).toBe(200);
  expect(response.headers()['content-security-policy']).toContain(`frame-ancestors ${stack.hostUrl}`);
  expect(response.headers()['x-frame-options']).toBeUndefined();
  await expect(page.getByText('Open this page from the website that asks for your vaccination status.')).toBeVisible();
});
