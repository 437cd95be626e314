// The loader a host page includes with one <script src=".../embed.js"> tag (built as an IIFE).
// It knows the service from its own URL, so it needs no configuration.
import type {} from '@kycvs/verifier/embed';
import type { VerifyOptions, VerifyResult } from '../../protocol/messages.ts';
import { defineButton } from './button.ts';
import { KycVsError } from './errors.ts';
import { verify } from './verify.ts';

export interface KycVsApi {
  verify(options: VerifyOptions): Promise<VerifyResult>;
  KycVsError: typeof KycVsError;
}

// The global `KycVs` is declared once, in the types hosts get (@kycvs/verifier/embed, served at
// /embed.d.ts): assigning this loader's api to it below keeps the two in step
// (packages/verifier/src/embed-types.test.ts checks the rest: options, events, attributes).

const script = document.currentScript;
if (!(script instanceof HTMLScriptElement)) throw new Error('embed.js needs a classic <script src>');
const widget = new URL('widget/', script.src);

if (!window.KycVs) {
  const api: KycVsApi = { verify: (options) => verify(options, widget), KycVsError };
  window.KycVs = api;
  defineButton(api.verify);
}
