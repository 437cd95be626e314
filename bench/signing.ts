// Signing and verifying status tokens per second, through the service's signer and the verifier
// module, against raw Ed25519 sign/verify from node:crypto in the same process (the physical
// limit: a token cannot be signed or checked faster than its signature).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KeyStore } from '../server/signing/key-store.ts';
import { StatusTokenSigner } from '../server/signing/status-token.ts';
import { verifyStatusToken } from '@kycvs/verifier';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, fmtPct, median } from './lib/stats.ts';

const FULL = { roundSeconds: 1, rounds: 5, tokens: 2_000 };
const SMOKE = { roundSeconds: 0.1, rounds: 1, tokens: 50 };
const TTL_SECONDS = 300;

/** Operations per second of `op`, run back to back (awaited when async) for about `seconds`. */
async function rate(seconds: number, op: (i: number) => unknown): Promise<number> {
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  let n = 0;
  while (performance.now() < until) {
    // Batches of 64 keep the clock out of the measurement.
    for (let j = 0; j < 64; j++) {
      const r = op(n++);
      if (r instanceof Promise) await r;
    }
  }
  return n / ((performance.now() - started) / 1000);
}

export async function measure(options: BenchOptions): Promise<Omit<ModuleResult, 'module' | 'seconds'>> {
  const size = options.smoke ? SMOKE : FULL;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-bench-signing-'));
  // The verifier fetches the JWKS over HTTP once, then caches it: serve it as the service would.
  const keys = await KeyStore.open(tmp, TTL_SECONDS);
  const jwks = http.createServer((_req, res) => {
    void keys.publicKeys().then((k) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: k })));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  try {
    const signer = new StatusTokenSigner(keys, issuer, TTL_SECONDS);
    const input = (i: number) => ({
      clientId: 'bench-railway',
      subject: `sub_${i % 1000}`,
      sessionId: `ses_${String(i).padStart(24, '0')}`,
      nonce: `nonce-${i}`,
      status: 2 as const,
    });

    progress(`signing: ${size.rounds} rounds of ${size.roundSeconds} s each, service vs raw node:crypto`);
    const tokens = await Promise.all(Array.from({ length: size.tokens }, (_, i) => signer.sign(input(i)).then((t) => t.token)));
    const first = await verifyStatusToken(tokens[0]!, { issuer, audience: 'bench-railway', nonce: 'nonce-0' });
    if (first.status !== 2) throw new Error('signing: a freshly signed token did not verify');

    // Raw Ed25519 over the same bytes a token signs (its header.payload), with a key of the same kind.
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
    const signingInputs = tokens.map((t) => Buffer.from(t.slice(0, t.lastIndexOf('.'))));
    const signatures = signingInputs.map((data) => crypto.sign(null, data, privateKey));
    const n = tokens.length;

    // Warm-up: every path compiled and the key set cached before anything counts.
    await rate(size.roundSeconds / 2, (i) => signer.sign(input(i)));
    await rate(size.roundSeconds / 2, (i) => verifyStatusToken(tokens[i % n]!, { issuer, audience: 'bench-railway', nonce: `nonce-${i % n}` }));
    const rounds = { sign: [] as number[], rawSign: [] as number[], verify: [] as number[], rawVerify: [] as number[] };
    // Interleaved rounds, so a slow moment of the machine touches both sides alike.
    for (let r = 0; r < size.rounds; r++) {
      rounds.sign.push(await rate(size.roundSeconds, (i) => signer.sign(input(i))));
      rounds.rawSign.push(await rate(size.roundSeconds, (i) => crypto.sign(null, signingInputs[i % n]!, privateKey)));
      rounds.verify.push(
        await rate(size.roundSeconds, (i) => verifyStatusToken(tokens[i % n]!, { issuer, audience: 'bench-railway', nonce: `nonce-${i % n}` })),
      );
      rounds.rawVerify.push(await rate(size.roundSeconds, (i) => crypto.verify(null, signingInputs[i % n]!, publicKey, signatures[i % n]!)));
    }
    const sign = median(rounds.sign);
    const rawSign = median(rounds.rawSign);
    const verify = median(rounds.verify);
    const rawVerify = median(rounds.rawVerify);
    const usPer = (perSecond: number) => 1e6 / perSecond;
    return {
      rows: [
        row('Sign status tokens (StatusTokenSigner)', `${fmt(sign)} tokens/s`, {
          baseline: `raw Ed25519 sign ${fmt(rawSign)}/s`,
          ratio: fmtPct(sign / rawSign),
          target: '≥ 80 % of raw',
          met: sign / rawSign >= 0.8,
        }),
        row('Verify status tokens (verifier module)', `${fmt(verify)} tokens/s`, {
          baseline: `raw Ed25519 verify ${fmt(rawVerify)}/s`,
          ratio: fmtPct(verify / rawVerify),
          target: '≥ 80 % of raw',
          met: verify / rawVerify >= 0.8,
        }),
      ],
      notes: [
        `Signing: one core, one operation at a time, median of ${size.rounds} interleaved rounds. Per token: sign ${fmt(usPer(sign), 1)} µs ` +
          `(raw ${fmt(usPer(rawSign), 1)} µs, so ${fmt(usPer(sign) - usPer(rawSign), 1)} µs is JWT assembly and the key lookup); ` +
          `verify ${fmt(usPer(verify), 1)} µs (raw ${fmt(usPer(rawVerify), 1)} µs).`,
      ],
      details: { rounds, sign, rawSign, verify, rawVerify },
    };
  } finally {
    jwks.close();
    jwks.closeAllConnections();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

moduleMain(import.meta.url, 'signing', measure);
