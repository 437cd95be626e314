// The OTP text in each of the twelve languages: what a citizen reads on the phone, and what it costs.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LANGUAGES } from '../../protocol/languages.ts';
import { DEMO, outbox, startTestServer } from '../../test-support/harness.ts';
import { otpSmsText } from '../otp/otp.ts';
import { smsSize } from './segments.ts';

const server = await startTestServer();
after(() => server.close());

/** The demo's own hosts (DEMO_PORT and PORT defaults), as the demo's texts carry them. */
const SERVICE = 'http://localhost:8080';
const HOST = 'localhost:8081';
const CODE = '482915';

/** The longest name and purpose any demo client's SMS carries in `lang` (registered there, or English). */
async function longestDemoClientIn(lang: (typeof LANGUAGES)[number]['code']) {
  const { clients, flowDeps } = server.services;
  const shown = await Promise.all((await clients.list()).map((c) => flowDeps.clientTexts.localize(c, c.purpose, lang)));
  return shown.sort((a, b) => b.name.length + b.purpose.length - (a.name.length + a.purpose.length))[0]!;
}

describe('the OTP text, in every language', () => {
  for (const { code: lang, script } of LANGUAGES) {
    test(`${lang}: the code once, who asks and why, the history page, the WebOTP line; at most 3 segments`, async (t) => {
      const client = await longestDemoClientIn(lang);
      const text = otpSmsText({
        lang,
        code: CODE,
        clientName: client.name,
        purpose: client.purpose,
        validMinutes: 10,
        historyUrl: `${SERVICE}/me/`,
        embeddingHost: HOST,
        serviceHost: new URL(SERVICE).host,
      });
      const lines = text.split('\n');
      const webOtp = lines.pop()!;
      assert.equal(webOtp, `@${HOST} #${CODE} @localhost:8080`, 'the WebOTP origin-bound line, last');
      const readable = lines.join('\n');
      assert.equal(readable.split(CODE).length - 1, 1, 'the code once in what the citizen reads');
      assert.ok(lines[0]!.startsWith(CODE), 'the code first, where a notification preview shows it');
      assert.ok(lines[0]!.includes(client.name) && lines[0]!.includes(`(${client.purpose})`), 'who asks and why');
      assert.match(lines.at(-1)!, new RegExp(`: ${SERVICE}/me/$`), 'ends with the history page');
      // The words are the language's own (apart from the name, purpose, KYC-VS and the link).
      const words = readable.replace(client.name, '').replace(client.purpose, '').replace(`${SERVICE}/me/`, '').replace('KYC-VS', '');
      const letters = words.match(/\p{L}/gu) ?? [];
      const inScript = letters.filter((c) => new RegExp(`\\p{Script=${script}}`, 'u').test(c));
      assert.equal(inScript.length, letters.length, `every other letter in ${script}`);

      const size = smsSize(text);
      t.diagnostic(`${lang}: ${size.units} ${size.encoding} units, ${size.segments} segment(s), with "${client.name}" / "${client.purpose}"`);
      assert.equal(size.encoding, lang === 'en' ? 'gsm7' : 'ucs2');
      assert.ok(size.segments <= 3, `${size.segments} segments`);
    });
  }
});

describe('the language of a real text', () => {
  test('send-otp with lang hi: the text is in Hindi, with the client name and purpose registered in Hindi', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} });
    assert.equal(created.status, 201, created.text);
    const res = await server.api('POST', `/v1/sessions/${created.body.session_id}/otp`, {
      json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name, lang: 'hi' },
    });
    assert.equal(res.status, 202, res.text);
    const [sms] = await outbox(server, DEMO.arjun.mobile);
    const [first, , history, webOtp] = sms!.text.split('\n');
    assert.match(first!, /^\d{6} आपका KYC-VS कोड है। डेमो रेलवे को आपकी टीकाकरण स्थिति चाहिए \(ट्रेन में सवार होना\)।$/);
    assert.equal(history, `किसने जाँचा: ${server.config.issuer}/me/`);
    assert.match(webOtp!, /^@[\w.:-]+ #\d{6}$/);
  });

  test('a backend-made session with lang bn: Bengali words, the English name and purpose (none registered in Bengali)', async () => {
    const res = await server.api('POST', '/v1/sessions', {
      apiKey: DEMO.railway.apiKey,
      json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name, lang: 'bn' },
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.client, { id: DEMO.railway.id, name: 'Demo Railways', purpose: 'Boarding a train', name_lang: 'en', purpose_lang: 'en' });
    const [sms] = await outbox(server, DEMO.asha.mobile);
    assert.match(sms!.text, /^\d{6} আপনার KYC-VS কোড। Demo Railways আপনার টিকাকরণের অবস্থা জানতে চায় \(Boarding a train\)।\n/);
  });

  test('without lang the text is English, as before; a language the service does not know is a 400 naming lang', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} });
    const id = created.body.session_id as string;
    const bad = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name, lang: 'fr' } });
    assert.equal(bad.status, 400);
    assert.deepEqual([bad.body.error, bad.body.fields], ['invalid_request', ['lang']]);
    const res = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } });
    assert.equal(res.status, 202, res.text);
    const [sms] = await outbox(server, DEMO.arjun.mobile);
    assert.match(sms!.text, /^\d{6} is your KYC-VS code\. Demo Railways asks for your vaccination status \(Boarding a train\)\.\n/);
    assert.match(sms!.text, new RegExp(`\nWho checked your status: ${server.config.issuer}/me/\n`));
  });
});
