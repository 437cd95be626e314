// Attack: forged sessions and tokens. Session ids are 144 random bits: guessed ids get the same
// 404 as another verifier's real session. Tokens: every forgery the issue lists, each against
// the verifier module a host backend runs (packages/verifier/src/verify-status-token.ts) with the JWKS the
// service really serves — each refused with its own reason. packages/verifier/src/verify-status-token.test.ts
// covers the refusals one by one; this is the attacker's whole list in one table, including the
// cases it does not (HS256 keyed with the published public key, typ missing, wrong nonce, nbf).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { STATUS_TOKEN_TYPE } from '../protocol/api.ts';
import { DEMO, RAILWAY_WIDGET, assertApiError, decodeJws, startTestServer, tokenFor } from '../test-support/harness.ts';
import { type StatusTokenErrorCode, verifyStatusToken } from '@kycvs/verifier';

const server = await startTestServer();
after(() => server.close());

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

describe('session forgery', () => {
  test('500 guessed session ids on every step answer exactly like another verifier’s real session: 404 session_not_found', async (t) => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
    const guess = () => `ses_${Array.from(crypto.randomBytes(24), (b) => alphabet[b % 64]).join('')}`;
    const steps = [
      { method: 'GET', suffix: '', json: undefined },
      { method: 'GET', suffix: '/context', json: undefined },
      { method: 'POST', suffix: '/otp', json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } },
      { method: 'POST', suffix: '/otp/verify', json: { otp: '123456' } },
      { method: 'POST', suffix: '/consent', json: { decision: 'allow', consent_ticket: 'x'.repeat(43) } },
    ];
    // A real session of the railway, seen with the hotel's key.
    const { sessionId: railways } = await tokenFor(server, DEMO.asha, RAILWAY_WIDGET);
    const visible = (r: { status: number; text: string }) => `${r.status} ${r.text}`;
    let tries = 0;
    for (const step of steps) {
      const real = await server.api(step.method, `/v1/sessions/${railways}${step.suffix}`, { json: step.json, apiKey: DEMO.hotel.apiKey });
      assertApiError(real, 'session_not_found', `another verifier's session ${step.suffix}`);
      for (let i = 0; i < 100; i++) {
        // With the hotel's key (reading a session needs one), or as the widget (no key) where the step allows it.
        const asWidget = i % 2 === 0 && step.suffix !== '';
        const res = await server.api(step.method, `/v1/sessions/${guess()}${step.suffix}`, { json: step.json, ...(asWidget ? {} : { apiKey: DEMO.hotel.apiKey }) });
        tries++;
        if (asWidget) assertApiError(res, 'session_not_found');
        else assert.equal(visible(res), visible(real), `guess ${i} on ${step.suffix}`);
      }
    }
    t.diagnostic(`figure: ${tries} guessed session ids (144 random bits each) → ${tries} × 404 session_not_found, none found`);
  });
});

describe('token forgery', () => {
  test('every forgery is refused by the verifier module, each with its own reason', async (t) => {
    const nonce = 'booking-4711';
    // Meera's status is 0: the forger wants a 2.
    const { token } = await tokenFor(server, DEMO.meera, RAILWAY_WIDGET, { nonce });
    assert.equal(decodeJws(token).payload.vaccination_status, 0);
    const [h, p, sig] = token.split('.') as [string, string, string];
    const header = decodeJws(token).header;
    const claims = decodeJws(token).payload;
    const { kid, privateKey } = await server.services.keys.signingKey();
    const jwks = (await server.api('GET', '/.well-known/jwks.json')).body.keys as { kid: string; x: string }[];
    const published = jwks.find((k) => k.kid === kid)!;
    const now = Math.floor(Date.now() / 1000);
    // What only a key holder could make (to reach the claim checks behind the signature).
    const signed = (c: Record<string, unknown>, hdr: Record<string, unknown> = { alg: 'EdDSA', kid, typ: STATUS_TOKEN_TYPE }) =>
      new SignJWT(c).setProtectedHeader(hdr as { alg: string }).sign(privateKey);
    const attacker = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
    const hmac = (secret: Buffer | string) => {
      const head = b64({ alg: 'HS256', kid, typ: STATUS_TOKEN_TYPE });
      const body = b64({ ...claims, vaccination_status: 2 });
      return `${head}.${body}.${crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
    };

    const cases: [forgery: string, token: string, expected: StatusTokenErrorCode, options?: { audience?: string; nonce?: string }][] = [
      ['alg: none, no signature', `${b64({ alg: 'none', typ: STATUS_TOKEN_TYPE })}.${p}.`, 'alg_not_allowed'],
      ['HS256 keyed with the published public key (raw x)', hmac(Buffer.from(published.x, 'base64url')), 'alg_not_allowed'],
      ['HS256 keyed with the published JWK as text', hmac(JSON.stringify(published)), 'alg_not_allowed'],
      ['signed by the attacker’s key under an unknown kid', await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid: 'attacker-kid', typ: STATUS_TOKEN_TYPE }).sign(attacker), 'key_unknown'],
      ['signed by the attacker’s key under the service’s kid', await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ: STATUS_TOKEN_TYPE }).sign(attacker), 'signature_invalid'],
      ['payload tampered (status 0 → 2, same signature)', `${h}.${b64({ ...claims, vaccination_status: 2 })}.${sig}`, 'signature_invalid'],
      ['header tampered (kid swapped)', `${b64({ ...header, kid: 'other' })}.${p}.${sig}`, 'key_unknown'],
      ['a real token presented to another verifier', token, 'audience_mismatch', { audience: DEMO.hotel.id }],
      ['a real token replayed for another booking (nonce)', token, 'nonce_mismatch', { nonce: 'booking-9999' }],
      ['expired', await signed({ ...claims, iat: now - 900, exp: now - 600 }), 'token_expired'],
      ['not yet valid (nbf an hour ahead)', await signed({ ...claims, nbf: now + 3600 }), 'token_not_yet_valid'],
      ['typ missing', await signed(claims, { alg: 'EdDSA', kid }), 'typ_invalid'],
      ['typ of a plain JWT', await signed(claims, { alg: 'EdDSA', kid, typ: 'JWT' }), 'typ_invalid'],
      ['another issuer', await signed({ ...claims, iss: 'https://kycvs.evil.example' }), 'issuer_mismatch'],
      ['status outside 0|1|2', await signed({ ...claims, vaccination_status: 3 }), 'claims_invalid'],
      ['not a JWS at all', 'eyJhbGciOiJFZERTQSJ9.e30', 'token_malformed'],
    ];
    const table: string[] = [];
    for (const [forgery, forged, expected, options] of cases) {
      const outcome = await verifyStatusToken(forged, { issuer: server.url, audience: options?.audience ?? DEMO.railway.id, nonce: options?.nonce ?? nonce }).then(
        () => 'ACCEPTED',
        (err: { code?: string }) => err.code ?? String(err),
      );
      table.push(`${forgery} → ${outcome}`);
      assert.equal(outcome, expected, forgery);
    }
    // The untouched token is accepted, so the refusals above are the forgeries' doing.
    assert.equal((await verifyStatusToken(token, { issuer: server.url, audience: DEMO.railway.id, nonce })).status, DEMO.meera.status);
    t.diagnostic(`figure: ${cases.length} forged tokens, ${cases.length} refused: ${table.join('; ')}`);
  });

});
