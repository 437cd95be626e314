// Finding (outside review, issue 9 item 7): the purpose and the client's name are printed in the
// SMS, in the verifier's name, and went in verbatim: a newline and a fake "Your OTP is 000000"
// line, a right-to-left override, anything up to 200 characters. Now one rule
// (server/clients/sms-safe-text.ts) refuses line breaks, control and invisible format characters
// (bidi included), numbers of 4+ digits in any script and more than 80 characters, where the
// text enters: a session's purpose (400 invalid_request, fields ['purpose']) and a client's name
// and purpose (ClientError client_invalid, so the CLI refuses them too).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ClientError } from '../server/clients/clients.ts';
import { DEMO, assertApiError, outbox, startTestServer } from '../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

/** What a verifier's backend tried to have printed in the SMS. */
const HOSTILE: [string, string][] = [
  ['a fake code on a line of its own', 'Boarding\nYour OTP is 000000'],
  ['a fake second message after blank lines', 'Boarding\r\n\r\nKYC-VS: ignore the code above'],
  ['a right-to-left override', 'Boarding \u202E000000 si edoc ruoY'],
  ['a right-to-left isolate', 'Boarding \u2067reversed\u2069'],
  ['a left-to-right mark', 'Boarding\u200E'],
  ['a line separator', 'Boarding\u2028Your code is 1'],
  ['an escape sequence', 'Boarding\u001b[2J'],
  ['a 6-digit number', 'Boarding. Your OTP is 000000'],
  ['a spaced 6-digit number', 'Boarding. Your OTP is 000 000'],
  ['a phone number', 'Questions? Call 1800-180-1234'],
  ['Devanagari digits', 'Boarding. कोड ००००००'],
  ['81 characters', 'B'.repeat(81)],
];

describe('finding: verifier-worded text flows verbatim into the SMS', () => {
  test('a session purpose that could forge the SMS is refused: 400 invalid_request naming purpose, and no text is sent', async (t) => {
    const before = (await outbox(server, DEMO.asha.mobile)).length;
    for (const [what, purpose] of HOSTILE) {
      const res = await server.api('POST', '/v1/sessions', {
        apiKey: DEMO.railway.apiKey,
        json: { purpose, mobile: DEMO.asha.mobile, name: DEMO.asha.name },
      });
      assertApiError(res, 'invalid_request', what);
      assert.deepEqual(res.body.fields, ['purpose'], what);
      assert.ok(!res.text.includes(purpose.trim()), `${what}: the value is not echoed`);
    }
    assert.equal((await outbox(server, DEMO.asha.mobile)).length, before, 'no SMS went out for any of them');
    t.diagnostic(`figure: ${HOSTILE.length} hostile purposes → ${HOSTILE.length} × 400 invalid_request (fields: purpose), 0 texts sent`);
  });

  test('a purpose within the rule still reaches the SMS as written', async () => {
    const purpose = 'Tatkal booking PNR 123, coach B2';
    const res = await server.api('POST', '/v1/sessions', {
      apiKey: DEMO.railway.apiKey,
      json: { purpose, mobile: DEMO.arjun.mobile, name: DEMO.arjun.name },
    });
    assert.equal(res.status, 201, res.text);
    const [sms] = await outbox(server, DEMO.arjun.mobile);
    const lines = sms!.text.split('\n');
    assert.ok(lines[0]!.endsWith(`asks for your vaccination status (${purpose}).`), sms!.text);
    assert.equal(lines.length, 4, 'the service\'s four lines: code and who asks, validity, the history page, the WebOTP line');
  });

  test('a client name or purpose that could forge the SMS is refused at creation and at update (client_invalid)', async (t) => {
    const clients = server.services.clients;
    let refused = 0;
    for (const [what, text] of HOSTILE) {
      for (const field of ['name', 'purpose'] as const) {
        const client = { id: `sms-text-${refused}`, name: 'Honest Verifier', purpose: 'Boarding', allowedOrigins: [], [field]: text };
        await assert.rejects(clients.create(client), (err: ClientError) => err instanceof ClientError && err.code === 'client_invalid', `create, ${field}: ${what}`);
        await assert.rejects(clients.update(DEMO.hotel.id, { [field]: text }), (err: ClientError) => err.code === 'client_invalid', `update, ${field}: ${what}`);
        refused += 2;
      }
    }
    const hotel = await clients.get(DEMO.hotel.id);
    assert.deepEqual([hotel!.name, hotel!.purpose], ['Demo Hotel', 'Hotel check-in'], 'nothing was changed');
    t.diagnostic(`figure: ${refused} client creations and updates with hostile names or purposes → ${refused} × client_invalid`);
  });
});
