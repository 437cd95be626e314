// A verifier's name and purpose per language: registered by the operator's CLI, shown in the
// frame's language with English as the marked fallback, refused when they could forge the SMS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO, startTestServer } from '../../test-support/harness.ts';
import type { ClientText } from './client-texts.ts';
import { ClientError } from './clients.ts';

const server = await startTestServer();
after(() => server.close());
const texts = server.services.flowDeps.clientTexts;

async function railwaySession(body: Record<string, unknown> = {}): Promise<string> {
  const res = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: body });
  assert.equal(res.status, 201, res.text);
  return res.body.session_id as string;
}

const context = (id: string, query = '') => server.api('GET', `/v1/sessions/${id}/context${query}`);

describe('the session context in the frame’s language', () => {
  test('?lang=hi: the name and purpose registered in Hindi, saying so', async () => {
    const res = await context(await railwaySession(), '?lang=hi');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.client, { id: DEMO.railway.id, name: 'डेमो रेलवे', purpose: 'ट्रेन में सवार होना', name_lang: 'hi', purpose_lang: 'hi' });
  });

  test('?lang=ta with nothing registered in Tamil: English, marked en; a Tamil purpose alone keeps the English name', async () => {
    const id = await railwaySession();
    assert.deepEqual((await context(id, '?lang=ta')).body.client, {
      id: DEMO.railway.id,
      name: 'Demo Railways',
      purpose: 'Boarding a train',
      name_lang: 'en',
      purpose_lang: 'en',
    });
    await texts.set(DEMO.railway.id, 'ta', { purpose: 'ரயில் பயணம்' });
    try {
      assert.deepEqual((await context(id, '?lang=ta')).body.client, {
        id: DEMO.railway.id,
        name: 'Demo Railways',
        purpose: 'ரயில் பயணம்',
        name_lang: 'en',
        purpose_lang: 'ta',
      });
    } finally {
      await texts.set(DEMO.railway.id, 'ta', { name: null, purpose: null });
    }
  });

  test('a purpose the backend worded for the session is shown as it is, its language not claimed', async () => {
    const res = await context(await railwaySession({ purpose: 'Tatkal booking PNR 7' }), '?lang=hi');
    assert.deepEqual(res.body.client, { id: DEMO.railway.id, name: 'डेमो रेलवे', purpose: 'Tatkal booking PNR 7', name_lang: 'hi' });
  });

  test('without lang the answer is as before (English, no language fields); an unknown lang is a 400 naming it', async () => {
    const id = await railwaySession();
    assert.deepEqual((await context(id)).body.client, { id: DEMO.railway.id, name: 'Demo Railways', purpose: 'Boarding a train' });
    for (const query of ['?lang=fr', '?lang=HI', '?lang=hi&lang=bn', '?other=1']) {
      const res = await context(id, query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error, 'invalid_request', query);
    }
  });
});

describe('registering texts', () => {
  test('every language’s text passes the SMS rule: line breaks, bidi controls, long numbers and 81 characters are refused', async () => {
    for (const hostile of ['डेमो\nआपका OTP 000000 है', 'ডেমো \u202E000000', 'ரயில் ௦௦௦௦௦௦', 'ਡੇਮੋ\u2028x', 'అ'.repeat(81)]) {
      for (const field of ['name', 'purpose'] as const) {
        await assert.rejects(texts.set(DEMO.hotel.id, 'hi', { [field]: hostile }), (err: ClientError) => err.code === 'client_invalid', `${field}: ${JSON.stringify(hostile)}`);
      }
    }
    assert.equal((await texts.list(DEMO.hotel.id)).find((t: ClientText) => t.lang === 'hi')?.name, 'डेमो होटल', 'the seeded text is unchanged');
    await assert.rejects(texts.set('no-such-client', 'hi', { name: 'कोई' }), (err: ClientError) => err.code === 'client_not_found');
  });
});

describe('clients texts (CLI)', () => {
  const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
  const cli = (...args: string[]) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'clients', 'texts', ...args], {
      cwd: REPO_ROOT,
      // The test server's own data dir: the CLI is safe while the server runs.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? server.dataDir, KYCVS_DATA_DIR: server.dataDir, KYCVS_ISSUER: 'http://localhost:8080' },
      encoding: 'utf8',
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  test('set, list and unset a language; the SMS size is printed; bad input is refused with the rule', async (t) => {
    const set = cli('set', DEMO.hotel.id, '--lang', 'bn', '--name', 'ডেমো হোটেল', '--purpose', 'হোটেলে চেক-ইন');
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /^client demo-hotel in bn: name ডেমো হোটেল; purpose হোটেলে চেক-ইন\nSMS in bn: \d+ Unicode characters, [1-3] segment\(s\)\n$/);
    t.diagnostic(set.stdout.split('\n')[1]!);
    const res = await context(await railwaySession(), '?lang=bn');
    assert.equal(res.body.client.name, 'Demo Railways', 'another client is not changed');

    const list = cli('list', DEMO.hotel.id);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n'), ['en\tDemo Hotel\tHotel check-in', 'bn\tডেমো হোটেল\tহোটেলে চেক-ইন', 'hi\tडेमो होटल\tहोटल में चेक-इन']);

    const refused = cli('set', DEMO.hotel.id, '--lang', 'bn', '--purpose', 'কল করুন ১৮০০১৮০');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /purpose \(bn\) has a number of more than 3 digits/);
    assert.equal(cli('set', DEMO.hotel.id, '--lang', 'xx', '--name', 'X').status, 2, 'an unknown language is a usage error');
    assert.equal(cli('set', DEMO.hotel.id, '--lang', 'en', '--name', 'X').status, 2, 'English is the client itself');
    assert.equal(cli('set', DEMO.hotel.id, '--lang', 'bn').status, 2, 'nothing to set');
    assert.equal(cli('list', 'no-such-client').status, 1);

    assert.equal(cli('unset', DEMO.hotel.id, '--lang', 'bn').status, 0);
    assert.equal((await texts.list(DEMO.hotel.id)).some((t: ClientText) => t.lang === 'bn'), false, 'Bengali is English again');
  });
});
