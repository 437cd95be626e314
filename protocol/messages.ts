// The widget's message protocol, shared by the loader (host page) and the frame (service origin).
// Both sides import these types and guards, so a renamed field breaks the build, not a citizen's flow.
//
// Handshake: the frame posts `kycvs:ready` to window.parent with the exact parent origin as target.
// The loader accepts it only from its own iframe's window and the service origin, then posts
// `kycvs:init` with a MessagePort to the frame (target: the service origin). Every later message
// travels over that private port, so no other window can read or forge it.

import type { VaccinationStatus } from './api.ts';
import type { LangCode } from './languages.ts';

export const PROTOCOL_VERSION = 1;

/** Why `KycVs.verify()` rejected. */
export type KycVsErrorCode = 'cancelled' | 'denied' | 'expired' | 'failed' | 'blocked_origin';

/** What a host passes to `KycVs.verify()`. */
export interface VerifyOptions {
  clientId: string;
  /** A session the host backend created with its API key (recommended). */
  sessionId?: string;
  /** Echoed in the token when the frame creates the session itself. */
  nonce?: string;
  /** Prefill for the citizen's form; the host never learns what the citizen finally typed. */
  name?: string;
  mobile?: string;
  /** "en" or "hi"; otherwise the browser's language. */
  lang?: string;
}

export interface VerifyResult {
  token: string;
  status: VaccinationStatus;
}

/** What the frame needs from the host, sent over the handshake instead of the URL (kept out of logs). */
export type FrameOptions = Omit<VerifyOptions, 'clientId'> & {
  /** The host's `--kycvs-accent` colour, so the frame can match the host's brand. */
  accent?: string;
};

// Before the handshake, over window.postMessage.
export interface ReadyMessage {
  type: 'kycvs:ready';
  v: typeof PROTOCOL_VERSION;
}

export interface InitMessage {
  type: 'kycvs:init';
  v: typeof PROTOCOL_VERSION;
  options: FrameOptions;
}

/**
 * Frame → loader, over the private port. Before the citizen's decision nothing here may depend on
 * the person's record: from the OTP step until the decision the frame sends no `kycvs:resize`
 * (one height, fitting every step that may follow, is sent when the OTP step shows).
 */
export type FrameEvent =
  | { type: 'kycvs:resize'; v: typeof PROTOCOL_VERSION; height: number }
  | { type: 'kycvs:result'; v: typeof PROTOCOL_VERSION; token: string; status: VaccinationStatus }
  | { type: 'kycvs:deny'; v: typeof PROTOCOL_VERSION }
  | { type: 'kycvs:cancel'; v: typeof PROTOCOL_VERSION }
  /** The check cannot go on: `failed` also when the name matched no one and the citizen ended the check. */
  | { type: 'kycvs:error'; v: typeof PROTOCOL_VERSION; code: Extract<KycVsErrorCode, 'expired' | 'failed'> }
  /** The citizen closed the "done" screen; the result was already delivered. */
  | { type: 'kycvs:close'; v: typeof PROTOCOL_VERSION };

function isRecord(data: unknown): data is Record<string, unknown> {
  return typeof data === 'object' && data !== null;
}

function isVersioned(data: unknown, type: string): data is Record<string, unknown> {
  return isRecord(data) && data.type === type && data.v === PROTOCOL_VERSION;
}

export function isReadyMessage(data: unknown): data is ReadyMessage {
  return isVersioned(data, 'kycvs:ready');
}

const OPTION_KEYS = ['sessionId', 'nonce', 'name', 'mobile', 'lang', 'accent'] as const;

/** The init message's options, keeping only known string fields: the frame trusts nothing else. */
export function readInitMessage(data: unknown): FrameOptions | null {
  if (!isVersioned(data, 'kycvs:init') || !isRecord(data.options)) return null;
  const options: FrameOptions = {};
  for (const key of OPTION_KEYS) {
    const value = data.options[key];
    if (typeof value === 'string' && value.length <= 200) options[key] = value;
  }
  return options;
}

export function isFrameEvent(data: unknown): data is FrameEvent {
  if (!isRecord(data) || data.v !== PROTOCOL_VERSION) return false;
  switch (data.type) {
    case 'kycvs:resize':
      return typeof data.height === 'number' && data.height >= 0;
    case 'kycvs:result':
      return typeof data.token === 'string' && (data.status === 0 || data.status === 1 || data.status === 2);
    case 'kycvs:error':
      return data.code === 'expired' || data.code === 'failed';
    case 'kycvs:deny':
    case 'kycvs:cancel':
    case 'kycvs:close':
      return true;
    default:
      return false;
  }
}

/**
 * The frame page's boot data, injected by the server as `<script type="application/json" id="kycvs-config">`
 * (no inline script, no round-trip). `parentOrigin` is the one origin the frame may talk to.
 * `issuerName`: who runs the service (KYCVS_ISSUER_NAME), named in the privacy line.
 */
export type FramePageConfig =
  | { ok: true; clientId: string; clientName: string; purpose: string; issuerName: string; parentOrigin: string; standalone?: false; texts?: ClientTextsByLang }
  /**
   * The service's own verification-link page (`GET /v/<code>`): the same app and steps, top-level,
   * with no parent to talk to, on the session the client's backend made (`sessionId`). `lang`: the
   * link's `?lang=`, the host's choice, as `VerifyOptions.lang`.
   */
  | { ok: true; clientId: string; clientName: string; purpose: string; issuerName: string; standalone: true; sessionId: string; lang?: string; parentOrigin?: undefined }
  | { ok: false; error: 'unknown_client' | 'client_disabled' | 'origin_not_allowed' | LinkPageError };

/** Why a verification link opens no check: no such link; its session ran out; its check already ended (or was answered elsewhere). */
export type LinkPageError = 'link_unknown' | 'link_expired' | 'link_used';

export const FRAME_CONFIG_ELEMENT_ID = 'kycvs-config';

/**
 * The client's name and purpose in the languages its operator registered them in (`clients texts
 * set`), for the frame to show at once in its language; a missing one is English (`clientName`, `purpose`).
 */
export type ClientTextsByLang = Partial<Record<LangCode, { name?: string; purpose?: string }>>;
