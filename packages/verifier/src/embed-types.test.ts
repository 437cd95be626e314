// The loader's published types (embed.d.ts: @kycvs/verifier/embed and /embed.d.ts) against the
// loader's own (widget/loader/, protocol/messages.ts). The checks are types: a drift fails
// `npm run typecheck`. The tests below check what only runs: the service serves the same file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import type {
  KycVsApi,
  KycVsButtonAttributes,
  KycVsButtonElement,
  KycVsButtonEventMap,
  KycVsErrorCode,
  KycVsErrorConstructor,
  KycVsErrorDetail,
  KycVsResult,
  KycVsVerifyOptions,
} from '@kycvs/verifier/embed';
import type { KycVsErrorCode as LoaderErrorCode, VerifyOptions, VerifyResult } from '../../../protocol/messages.ts';
import { startTestServer } from '../../../test-support/harness.ts';
import type { KycVsButtonAttribute, KycVsButtonEventMap as LoaderEventMap, KycVsErrorDetail as LoaderErrorDetail } from '../../../widget/loader/button.ts';
import type { KycVsApi as LoaderApi } from '../../../widget/loader/embed.ts';
import { KycVsError as LoaderError } from '../../../widget/loader/errors.ts';

/** Exactly the same type: an optional property added on one side only counts too. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assignable<From, To> = [From] extends [To] ? true : false;
const check = <T extends true>(): T => true as T;

// What the loader provides is what hosts are told they get …
check<Assignable<LoaderApi, KycVsApi>>();
check<Assignable<typeof LoaderError, KycVsErrorConstructor>>();
// … and what hosts are told to pass and will receive is exactly the loader's.
check<Same<KycVsVerifyOptions, VerifyOptions>>();
check<Same<KycVsResult, VerifyResult>>();
check<Same<KycVsErrorCode, LoaderErrorCode>>();
check<Same<KycVsErrorDetail, LoaderErrorDetail>>();
check<Same<keyof KycVsButtonEventMap, keyof LoaderEventMap>>();
check<Same<KycVsButtonEventMap['kycvs-result']['detail'], LoaderEventMap['kycvs-result']['detail']>>();
check<Same<KycVsButtonEventMap['kycvs-error']['detail'], LoaderEventMap['kycvs-error']['detail']>>();
check<Same<keyof KycVsButtonAttributes, KycVsButtonAttribute | 'nonce' | 'name'>>();
// The globals a host's TypeScript sees once it imports the types.
check<Same<typeof globalThis.KycVs, KycVsApi>>();
check<Same<HTMLElementTagNameMap['kyc-vs-button'], KycVsButtonElement>>();
check<Same<GlobalEventHandlersEventMap['kycvs-error'], CustomEvent<KycVsErrorDetail>>>();
// A listener on the element gets the typed event.
export function typedListener(button: KycVsButtonElement): void {
  button.addEventListener('kycvs-result', (event) => {
    const status: 0 | 1 | 2 = event.detail.status;
    void status;
  });
}

const EMBED_D_TS = new URL('../embed.d.ts', import.meta.url);

describe('the loader’s types', () => {
  const server = startTestServer();
  after(async () => (await server).close());

  test('GET /embed.d.ts serves the package’s embed.d.ts, byte for byte, as text', async () => {
    const res = await (await server).api('GET', '/embed.d.ts');
    assert.equal(res.status, 200, 'built by `npm run build` (vite build --mode embed)');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8/);
    assert.equal(res.text, readFileSync(EMBED_D_TS, 'utf8'));
    assert.match(res.headers.get('cache-control') ?? '', /max-age=300/);
  });

  test('the package exports it as @kycvs/verifier/embed (types only) and ships it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    assert.deepEqual(pkg.exports['./embed'], { types: './embed.d.ts' });
    assert.ok(pkg.files.includes('embed.d.ts'));
  });

  test('the loader’s error is what the types promise: an Error with a name and a code', () => {
    const err = new LoaderError('blocked_origin', 'no frame');
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'KycVsError');
    assert.equal(err.code, 'blocked_origin');
  });
});
