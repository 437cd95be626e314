// Finding (outside review, issue 9 item 7): the verifier module accepted non-canonical base64url.
// An Ed25519 signature is 64 bytes, 86 base64url characters whose last one carries 2 bits and 4
// unused ones: 15 other last characters decode to the same bytes and verified, so one real token
// had 16 spellings (a replay cache keyed on the token text misses them; a second parser may not
// agree). Now packages/verifier/src/verify-status-token.ts refuses, as token_malformed, any token whose three
// parts are not canonical base64url: only [A-Za-z0-9_-], no padding, unused bits zero.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DEMO, startTestServer, tokenFor } from '../test-support/harness.ts';
import { type StatusTokenErrorCode, verifyStatusToken } from '@kycvs/verifier';

const server = await startTestServer();
after(() => server.close());

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

async function refusal(token: string, options: Parameters<typeof verifyStatusToken>[1]): Promise<StatusTokenErrorCode | 'accepted'> {
  try {
    await verifyStatusToken(token, options);
    return 'accepted';
  } catch (err) {
    return (err as { code: StatusTokenErrorCode }).code;
  }
}

/** Every other spelling of the part's last character that decodes to the same bytes. */
function sameBytesSpellings(part: string): string[] {
  const bytes = Buffer.from(part, 'base64url');
  return [...ALPHABET]
    .map((c) => part.slice(0, -1) + c)
    .filter((spelt) => spelt !== part && Buffer.from(spelt, 'base64url').equals(bytes));
}

describe('finding: non-canonical base64url verified', () => {
  test('the 15 other spellings of a real token’s signature are refused as token_malformed; the real one verifies', async (t) => {
    const nonce = 'canonical-1';
    const { token } = await tokenFor(server, DEMO.asha, undefined, { nonce });
    const options = { issuer: server.url, audience: DEMO.railway.id, nonce };
    assert.equal((await verifyStatusToken(token, options)).status, DEMO.asha.status);

    const [h, p, sig] = token.split('.') as [string, string, string];
    const spellings = sameBytesSpellings(sig);
    assert.equal(spellings.length, 15, 'a 64-byte signature has 4 unused bits in its last character');
    const outcomes: Record<string, number> = {};
    for (const other of spellings) {
      const code = await refusal(`${h}.${p}.${other}`, options);
      outcomes[code] = (outcomes[code] ?? 0) + 1;
      assert.equal(code, 'token_malformed', `signature ending in ${other.at(-1)}`);
    }
    t.diagnostic(`figure: 15 other spellings of one real signature → ${JSON.stringify(outcomes)}`);
  });

  test('padding, the standard alphabet, whitespace and a non-canonical header or payload are refused as token_malformed', async () => {
    const { token } = await tokenFor(server, DEMO.ravi);
    const options = { issuer: server.url, audience: DEMO.railway.id };
    const [h, p, sig] = token.split('.') as [string, string, string];
    const standard = (s: string) => s.replaceAll('-', '+').replaceAll('_', '/');
    const variants: [string, string][] = [
      ['signature padded with ==', `${h}.${p}.${sig}==`],
      ['signature in standard base64', `${h}.${p}.${standard(sig)}${standard(sig) === sig ? '+' : ''}`],
      ['a space in the signature', `${h}.${p}.${sig.slice(0, 10)} ${sig.slice(10)}`],
      ['a newline after the signature', `${h}.${p}.${sig}\n`],
      ['a signature of an impossible length (4n + 1 characters)', `${h}.${p}.${sig}AAA`],
      ['header padded', `${h}${'='.repeat((4 - (h.length % 4)) % 4 || 4)}.${p}.${sig}`],
      ...sameBytesSpellings(h).slice(0, 1).map((x): [string, string] => ['header respelt', `${x}.${p}.${sig}`]),
      ...sameBytesSpellings(p).slice(0, 1).map((x): [string, string] => ['payload respelt', `${h}.${x}.${sig}`]),
    ];
    for (const [what, forged] of variants) assert.equal(await refusal(forged, options), 'token_malformed', what);
  });
});
