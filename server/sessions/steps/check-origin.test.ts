import { after, describe, test } from 'node:test';
import { OTHER_ORIGIN, PAGE_ORIGIN, SERVICE_ORIGIN, openStepKit, refused } from './step-test-kit.ts';
import { checkCallerOrigin, checkClaimedOrigin } from './check-origin.ts';

const kit = await openStepKit();
after(() => kit.close());

/** Allowlisted for the demo clients too, but not the page a session was made for. */
const OTHER_ALLOWED = 'http://127.0.0.1:8081';

describe('checkCallerOrigin: later calls on a session come from the frame or the session’s page', () => {
  test('a browser request from the frame, from the session’s page, or a request with no Origin passes', async () => {
    const { session } = await kit.session('otp_sent', { origin: PAGE_ORIGIN });
    for (const origin of [null, SERVICE_ORIGIN, PAGE_ORIGIN]) {
      await checkCallerOrigin(kit.ctx({}, { session, caller: kit.caller({ origin }) }));
    }
  });

  test('any other Origin is origin_not_allowed, even one on the client’s allowlist', async () => {
    const { session } = await kit.session('otp_sent', { origin: PAGE_ORIGIN });
    for (const origin of [OTHER_ORIGIN, OTHER_ALLOWED, 'http://localhost:8082', 'null']) {
      await refused(() => checkCallerOrigin(kit.ctx({}, { session, caller: kit.caller({ origin }) })), 'origin_not_allowed', origin);
    }
  });

  test('a session made by a backend without a page is driven from the frame only', async () => {
    const { session } = await kit.session('otp_sent', { origin: null });
    await checkCallerOrigin(kit.ctx({}, { session, caller: kit.caller({ origin: SERVICE_ORIGIN }) }));
    await refused(() => checkCallerOrigin(kit.ctx({}, { session, caller: kit.caller({ origin: PAGE_ORIGIN }) })), 'origin_not_allowed');
  });

  test('a host backend with its API key is not held to an Origin', async () => {
    const { session } = await kit.session('otp_sent', { origin: PAGE_ORIGIN });
    await checkCallerOrigin(kit.ctx({}, { session, caller: await kit.backend(undefined, { origin: OTHER_ORIGIN }) }));
  });
});

describe('checkClaimedOrigin: the page a new session is declared for', () => {
  const claim = async (origin: string | undefined, callerOrigin: string | null, keyed = false) => {
    const caller = keyed ? await kit.backend(undefined, { origin: callerOrigin }) : kit.caller({ origin: callerOrigin });
    return checkClaimedOrigin(kit.ctx({ origin }, { caller, client: await kit.client() }));
  };

  test('an allowlisted origin passes from the frame, from that page itself, or without an Origin header', async () => {
    for (const callerOrigin of [null, SERVICE_ORIGIN, PAGE_ORIGIN]) await claim(PAGE_ORIGIN, callerOrigin);
    // The declared origin is compared in canonical form.
    await claim(`${PAGE_ORIGIN}/`, PAGE_ORIGIN);
  });

  test('an origin off the allowlist, or not an origin at all, is refused to everyone', async () => {
    for (const keyed of [false, true]) {
      await refused(() => claim(OTHER_ORIGIN, null, keyed), 'origin_not_allowed', `keyed=${keyed}`);
      await refused(() => claim(`${PAGE_ORIGIN}/login`, null, keyed), 'origin_not_allowed', `path, keyed=${keyed}`);
      await refused(() => claim('javascript:alert(1)', null, keyed), 'origin_not_allowed', `scheme, keyed=${keyed}`);
    }
  });

  test('a keyless page claiming another allowlisted page’s origin is refused by its own Origin header', async () => {
    await refused(() => claim(PAGE_ORIGIN, OTHER_ALLOWED), 'origin_not_allowed');
    await refused(() => claim(PAGE_ORIGIN, OTHER_ORIGIN), 'origin_not_allowed');
  });

  test('a backend may declare an allowlisted page whatever its own Origin; declaring none is fine', async () => {
    await claim(PAGE_ORIGIN, OTHER_ORIGIN, true);
    await claim(undefined, null, true);
  });
});
