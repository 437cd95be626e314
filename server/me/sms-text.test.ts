// The /me/ sign-in text in each of the twelve languages: what the citizen reads, what it costs, and
// that the page's language reaches it over HTTP.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LANGUAGES } from '../../protocol/languages.ts';
import { DEMO, assertApiError, outbox, startTestServer } from '../../test-support/harness.ts';
import type { MeCatalog } from '../../widget/me/i18n/en.ts';
import { smsSize } from '../sms/segments.ts';
import { signInSmsText } from './sms-text.ts';

const server = await startTestServer();
after(() => server.close());

const CODE = '482915';
const SERVICE_HOST = 'localhost:8080';

describe('the sign-in text, in every language', () => {
  for (const { code: lang, script } of LANGUAGES) {
    test(`${lang}: the code once, what it opens in the page's own words, the WebOTP line last; at most 3 segments`, async (t) => {
      const text = signInSmsText({ lang, code: CODE, serviceHost: SERVICE_HOST, validMinutes: 10 });
      const lines = text.split('\n');
      assert.equal(lines.pop(), `@${SERVICE_HOST} #${CODE}`, 'the WebOTP line of the service’s own origin, last');
      const readable = lines.join('\n');
      assert.equal(readable.split(CODE).length - 1, 1, 'the code once in what the citizen reads');
      assert.ok(readable.startsWith(CODE), 'the code first, where a notification preview shows it');
      // The words the /me/ page greets the citizen with after sign-in: no second wording to drift.
      const catalog = ((await import(`../../widget/me/i18n/${lang}.ts`)) as Record<string, MeCatalog>)[lang]!;
      assert.ok(readable.toLowerCase().includes(catalog.historyHeading.toLowerCase()), `says "${catalog.historyHeading}"`);
      const letters = readable.replace('KYC-VS', '').match(/\p{L}/gu) ?? [];
      assert.ok(letters.every((c) => new RegExp(`\\p{Script=${script}}`, 'u').test(c)), `every other letter in ${script}`);

      const size = smsSize(text);
      t.diagnostic(`${lang}: ${size.units} ${size.encoding} units, ${size.segments} segment(s)`);
      assert.equal(size.encoding, lang === 'en' ? 'gsm7' : 'ucs2');
      assert.ok(size.segments <= 3, `${size.segments} segments`);
    });
  }
});

describe('the page’s language reaches the text', () => {
  test('POST /v1/me/otp with lang hi: the text is in Hindi; an unknown language is a 400 naming lang', async () => {
    const bad = await server.api('POST', '/v1/me/otp', { json: { mobile: DEMO.asha.mobile, lang: 'fr' } });
    assertApiError(bad, 'invalid_request');
    assert.deepEqual(bad.body.fields, ['lang']);

    const res = await server.api('POST', '/v1/me/otp', { json: { mobile: DEMO.asha.mobile, lang: 'hi' } });
    assert.equal(res.status, 202, res.text);
    const [sms] = await outbox(server, DEMO.asha.mobile);
    const [first, second, webOtp] = sms!.text.split('\n');
    assert.match(first!, /^\d{6} आपका KYC-VS कोड है \(आपकी टीकाकरण स्थिति किसने जाँची\)।$/);
    assert.equal(second, 'कोड किसी को न बताएँ।');
    assert.equal(webOtp, `@${new URL(server.config.issuer).host} #${first!.slice(0, 6)}`);
  });
});
