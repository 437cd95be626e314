// The verifier module a host backend uses, against a real KYC-VS server's served JWKS:
// the token's exact claims, pairwise subjects, and every way a token is refused.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { STATUS_TOKEN_TYPE as SERVICE_TOKEN_TYPE, type StatusTokenClaims as ServiceClaims } from '../../../protocol/api.ts';
import {
  DEMO,
  HOTEL,
  RAILWAY,
  RAILWAY_WIDGET,
  decodeJws,
  startTestServer,
  tokenFor,
} from '../../../test-support/harness.ts';
import {
  STATUS_TOKEN_TYPE,
  type StatusTokenClaims,
  type StatusTokenErrorCode,
  isCanonicalCompactJws,
  verifyStatusToken,
} from './verify-status-token.ts';

// The package cannot import the service's protocol (it ships alone), so its copy of the token's
// shape is tied to the service's here: a claim added on one side only fails the typecheck.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const claimsMatch: Same<StatusTokenClaims, ServiceClaims> = true;
const typeMatches: Same<typeof STATUS_TOKEN_TYPE, typeof SERVICE_TOKEN_TYPE> = true;
void [claimsMatch, typeMatches];

const server = await startTestServer();
after(() => server.close());

const HOTEL_WIDGET = { widget: { clientId: DEMO.hotel.id, origin: DEMO.origin } };
const railwayOptions = { issuer: server.url, audience: DEMO.railway.id };

async function assertRefused(promise: Promise<unknown>, code: StatusTokenErrorCode): Promise<void> {
  await assert.rejects(promise, (err: Error & { code?: string }) => {
    assert.equal(err.name, 'StatusTokenError');
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** Signs claims with the server's own current key (for expiry and typ cases only a key holder can make). */
async function signWithServerKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const { kid, privateKey } = await server.services.keys.signingKey();
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ: STATUS_TOKEN_TYPE, ...header }).sign(privateKey);
}

describe('a token from a real verification', () => {
  test('verifies against the served JWKS and carries exactly the claims of the brief', async () => {
    const { token, sessionId } = await tokenFor(server, DEMO.asha, RAILWAY_WIDGET, { nonce: 'nonce-abc' });
    const verified = await verifyStatusToken(token, { ...railwayOptions, nonce: 'nonce-abc' });
    assert.equal(verified.status, 2);

    const { header, payload } = decodeJws(token);
    const jwks = (await server.api('GET', '/.well-known/jwks.json')).body.keys as { kid: string }[];
    assert.deepEqual(Object.keys(header).sort(), ['alg', 'kid', 'typ']);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'kycvs-status+jwt');
    assert.ok(jwks.some((k) => k.kid === header.kid), 'kid names a published key');

    assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'nonce', 'sub', 'txn', 'vaccination_status']);
    assert.equal(payload.iss, server.url);
    assert.equal(payload.aud, DEMO.railway.id);
    assert.equal(payload.txn, sessionId);
    assert.equal(payload.nonce, 'nonce-abc');
    assert.equal(payload.vaccination_status, 2);
    assert.ok(Math.abs((payload.iat as number) - Date.now() / 1000) < 60);
    const lifetime = (payload.exp as number) - (payload.iat as number);
    assert.equal(lifetime, server.config.tokenTtlSeconds);
    assert.ok(lifetime > 0 && lifetime <= 3600, 'minutes, not days');
    assert.match(payload.jti as string, /^[\w-]{16,}$/);
    assert.deepEqual(verified.claims, payload);
  });

  test('never carries a name, mobile, date or vaccine', async () => {
    for (const person of [DEMO.asha, DEMO.ravi, DEMO.arjun]) {
      const { token } = await tokenFor(server, person);
      const text = Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8');
      for (const secret of [...person.name.split(' '), person.mobile, 'COVISHIELD', 'COVAXIN', 'JANSSEN', '2021', '2022']) {
        assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `token payload mentions ${secret}: ${text}`);
      }
    }
  });

  test('the status is the person’s: 0, 1 and 2 come out as such', async () => {
    for (const person of [DEMO.meera, DEMO.ravi, DEMO.asha]) {
      const { token } = await tokenFor(server, person);
      assert.equal((await verifyStatusToken(token, railwayOptions)).status, person.status, person.name);
    }
  });

  test('without a nonce from the verifier there is no nonce claim, and a verifier expecting one refuses it', async () => {
    const { token } = await tokenFor(server, DEMO.ravi);
    assert.equal(decodeJws(token).payload.nonce, undefined);
    await verifyStatusToken(token, railwayOptions);
    await assertRefused(verifyStatusToken(token, { ...railwayOptions, nonce: 'expected' }), 'nonce_mismatch');
  });

  test('the session: the token of the session given verifies; any other session’s is txn_mismatch', async () => {
    const mine = await tokenFor(server, DEMO.asha, RAILWAY_WIDGET, { nonce: 'nonce-txn' });
    const other = await tokenFor(server, DEMO.asha, RAILWAY_WIDGET, { nonce: 'nonce-txn' });
    const options = { ...railwayOptions, nonce: 'nonce-txn', sessionId: mine.sessionId };
    assert.equal((await verifyStatusToken(mine.token, options)).claims.txn, mine.sessionId);
    // Same verifier, same nonce, same person, valid signature: only the session differs.
    await assertRefused(verifyStatusToken(other.token, options), 'txn_mismatch');
    await assertRefused(verifyStatusToken(mine.token, { ...options, sessionId: `${mine.sessionId}x` }), 'txn_mismatch');
  });

  test('jti is unique per token', async () => {
    const a = await tokenFor(server, DEMO.asha);
    const b = await tokenFor(server, DEMO.asha);
    assert.notEqual(decodeJws(a.token).payload.jti, decodeJws(b.token).payload.jti);
  });
});

describe('pairwise subject', () => {
  const subOf = async (...args: Parameters<typeof tokenFor>) => decodeJws((await tokenFor(...args)).token).payload.sub as string;

  test('same person, same verifier → same sub, however the name is written and whichever mode', async () => {
    const first = await subOf(server, DEMO.asha, RAILWAY_WIDGET);
    assert.equal(await subOf(server, { mobile: DEMO.asha.mobile, name: 'Smt. VERMA,  asha' }, RAILWAY_WIDGET), first);
    assert.equal(await subOf(server, DEMO.asha, RAILWAY), first, 'server-to-server mode');
  });

  test('same person, different verifiers → different subs; different people on one mobile → different subs', async () => {
    const railway = await subOf(server, DEMO.asha, RAILWAY_WIDGET);
    const hotel = await subOf(server, DEMO.asha, HOTEL_WIDGET);
    assert.notEqual(railway, hotel);
    assert.notEqual(await subOf(server, DEMO.ravi, RAILWAY_WIDGET), railway);
    assert.notEqual(await subOf(server, DEMO.ravi, HOTEL), hotel);
  });

  test('the sub is opaque: it contains neither the mobile nor the beneficiary', async () => {
    const sub = await subOf(server, DEMO.asha, RAILWAY_WIDGET);
    assert.match(sub, /^[A-Za-z0-9_-]{43}$/, '256-bit keyed hash');
  });
});

describe('refusals', () => {
  test('another verifier’s token → audience_mismatch; another issuer → issuer_mismatch', async () => {
    const { token } = await tokenFor(server, DEMO.asha, HOTEL_WIDGET);
    await assertRefused(verifyStatusToken(token, railwayOptions), 'audience_mismatch');
    await verifyStatusToken(token, { ...railwayOptions, audience: DEMO.hotel.id });
    await assertRefused(
      verifyStatusToken(token, { issuer: 'https://kycvs.example', audience: DEMO.hotel.id, jwksUri: `${server.url}/.well-known/jwks.json` }),
      'issuer_mismatch',
    );
  });

  test('a changed payload or signature → signature_invalid', async () => {
    const { token } = await tokenFor(server, DEMO.meera, RAILWAY_WIDGET, { nonce: 'n1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    const upgraded = Buffer.from(JSON.stringify({ ...payload, vaccination_status: 2 })).toString('base64url');
    await assertRefused(verifyStatusToken(`${h}.${upgraded}.${s}`, railwayOptions), 'signature_invalid');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await assertRefused(verifyStatusToken(`${h}.${p}.${flipped}`, railwayOptions), 'signature_invalid');
  });

  test('a token signed by a key the service never published → key_unknown; one claiming a published kid → signature_invalid', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { kid } = await server.services.keys.signingKey();
    const claims = { vaccination_status: 2, txn: 'ses_forged', nonce: 'n' };
    const forge = (headerKid: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', kid: headerKid, typ: STATUS_TOKEN_TYPE })
        .setIssuer(server.url)
        .setAudience(DEMO.railway.id)
        .setSubject('someone')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('forged-jti-0001')
        .sign(privateKey);
    await assertRefused(verifyStatusToken(await forge('attacker-key'), railwayOptions), 'key_unknown');
    await assertRefused(verifyStatusToken(await forge(kid), railwayOptions), 'signature_invalid');
  });

  test('an expired token (even one the service signed) → token_expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signWithServerKey({
      iss: server.url, aud: DEMO.railway.id, sub: 's', iat: now - 600, exp: now - 300, jti: 'jti-expired-0001', txn: 'ses_x', vaccination_status: 2,
    });
    await assertRefused(verifyStatusToken(token, railwayOptions), 'token_expired');
  });

  test('a token without the status type (typ) → typ_invalid; without a valid status → claims_invalid', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: server.url, aud: DEMO.railway.id, sub: 's', iat: now, exp: now + 60, jti: 'jti-typ-00000001', txn: 'ses_x', vaccination_status: 2 };
    await assertRefused(verifyStatusToken(await signWithServerKey(claims, { typ: 'JWT' }), railwayOptions), 'typ_invalid');
    await assertRefused(verifyStatusToken(await signWithServerKey({ ...claims, vaccination_status: 3 }), railwayOptions), 'claims_invalid');
    await assertRefused(verifyStatusToken(await signWithServerKey({ ...claims, vaccination_status: '2' }), railwayOptions), 'claims_invalid');
    const { jti: _drop, ...noJti } = claims;
    await assertRefused(verifyStatusToken(await signWithServerKey(noJti), railwayOptions), 'claims_invalid');
  });

  test('another algorithm (HS256, none) → alg_not_allowed or token_malformed, never accepted', async () => {
    const hs = await new SignJWT({ vaccination_status: 2, txn: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: STATUS_TOKEN_TYPE })
      .setIssuer(server.url)
      .setAudience(DEMO.railway.id)
      .setSubject('s')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('jti-hs256-000001')
      .sign(new TextEncoder().encode('a-shared-secret-anyone-could-know'));
    await assertRefused(verifyStatusToken(hs, railwayOptions), 'alg_not_allowed');
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${b64({ alg: 'none', typ: STATUS_TOKEN_TYPE })}.${b64({ iss: server.url, aud: DEMO.railway.id, vaccination_status: 2 })}.`;
    await assert.rejects(verifyStatusToken(none, railwayOptions), { name: 'StatusTokenError' });
  });

  test('not a token → token_malformed', async () => {
    for (const junk of ['', 'abc', 'a.b', 'a.b.c', '...', 'a.b.c.d']) {
      await assertRefused(verifyStatusToken(junk, railwayOptions), 'token_malformed');
    }
  });

  test('a real token spelt otherwise (unused bits set, padding, standard alphabet) → token_malformed, before any key is fetched', async () => {
    const { token } = await tokenFor(server, DEMO.asha);
    const [h, p, sig] = token.split('.') as [string, string, string];
    assert.ok(isCanonicalCompactJws(token));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The last of 86 characters carries 2 bits of the 64th byte; setting one of its 4 unused bits changes no byte.
    const respelt = `${sig.slice(0, -1)}${alphabet[alphabet.indexOf(sig.at(-1)!) | 1]}`;
    assert.deepEqual(Buffer.from(respelt, 'base64url'), Buffer.from(sig, 'base64url'), 'the same signature bytes');
    for (const forged of [`${h}.${p}.${respelt}`, `${h}.${p}.${sig}==`, `${h}.${p}.${sig.replaceAll('-', '+').replaceAll('_', '/')}+`]) {
      assert.equal(isCanonicalCompactJws(forged), false);
      // An unreachable JWKS: were the key set consulted, this would be jwks_unavailable.
      await assertRefused(verifyStatusToken(forged, { ...railwayOptions, jwksUri: 'http://127.0.0.1:9/jwks.json' }), 'token_malformed');
    }
  });

  test('an unreachable JWKS → jwks_unavailable', async () => {
    const gone = await startTestServer();
    const { token } = await tokenFor(gone, DEMO.asha);
    await gone.close();
    await assertRefused(verifyStatusToken(token, { issuer: gone.url, audience: DEMO.railway.id }), 'jwks_unavailable');
  });
});
