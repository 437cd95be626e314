// Types for the KYC-VS loader a host page includes with `<script src="https://KYCVS/embed.js">`:
// the `KycVs` global and the `<kyc-vs-button>` element with its events. Types only (the loader is
// the service's /embed.js, not this package). Use them with
//   import type {} from '@kycvs/verifier/embed';        // or: /// <reference types="@kycvs/verifier/embed" />
// The same file is served by the service at /embed.d.ts. Checked against the loader's own types
// in the KYC-VS repository, so the two cannot drift apart.

/** `0` not vaccinated (no dose recorded), `1` partially vaccinated, `2` fully vaccinated. */
export type KycVsVaccinationStatus = 0 | 1 | 2;

/**
 * Why `KycVs.verify()` rejected:
 * - `cancelled`: the citizen closed the check (Escape, the close button) without answering;
 * - `denied`: the citizen chose "Don't share";
 * - `expired`: the session or its code expired before the citizen finished;
 * - `failed`: the check could not go on (an unknown or finished session id, a name that matches
 *   no one on the mobile, a network error, a second check while one is open);
 * - `blocked_origin`: this page's origin is not on the client's allowed origins, so the service
 *   sent no frame (reported about 3 s after the refused frame loads).
 */
export type KycVsErrorCode = 'cancelled' | 'denied' | 'expired' | 'failed' | 'blocked_origin';

/** What a host passes to `KycVs.verify()`. */
export interface KycVsVerifyOptions {
  /** Your client id. */
  clientId: string;
  /** A session your backend created with its API key (recommended): `POST /v1/sessions` → `session_id`. */
  sessionId?: string;
  /** Without `sessionId`: your nonce, echoed in the token (the frame then creates the session itself). */
  nonce?: string;
  /** Prefills the citizen's form; your page never learns what the citizen finally typed. */
  name?: string;
  mobile?: string;
  /** `"en"` or `"hi"`; otherwise the browser's language. */
  lang?: string;
}

/** What `KycVs.verify()` resolves with once the citizen chose Share. Verify `token` on your backend before you trust `status`. */
export interface KycVsResult {
  /** The signed status token (a compact JWS): send it to your backend. */
  token: string;
  /** What the frame says the token says: for display only. */
  status: KycVsVaccinationStatus;
}

/** The one error type `KycVs.verify()` rejects with: `err instanceof KycVs.KycVsError`, then switch on `err.code`. */
export interface KycVsError extends Error {
  readonly code: KycVsErrorCode;
}

export interface KycVsErrorConstructor {
  new (code: KycVsErrorCode, message: string): KycVsError;
  readonly prototype: KycVsError;
}

/** `window.KycVs`, defined by embed.js. */
export interface KycVsApi {
  /** Opens the check in a modal frame; settles when the citizen shares, refuses or cancels, or the frame cannot run. */
  verify(options: KycVsVerifyOptions): Promise<KycVsResult>;
  readonly KycVsError: KycVsErrorConstructor;
}

/** `detail` of a `kycvs-error` event. */
export interface KycVsErrorDetail {
  code: KycVsErrorCode;
  message: string;
}

/** Events a `<kyc-vs-button>` fires; they bubble and cross shadow roots. */
export interface KycVsButtonEventMap {
  /** The citizen shared: `detail` is `{ token, status }`; the token is also the element's form value. */
  'kycvs-result': CustomEvent<KycVsResult>;
  /** The check ended without a token: `detail` is `{ code, message }`. */
  'kycvs-error': CustomEvent<KycVsErrorDetail>;
}

/**
 * The attributes of `<kyc-vs-button>`: `client-id` (required), `session-id` or `nonce`, `lang`,
 * and `name` (the form field its token is submitted under: it is form-associated).
 */
export interface KycVsButtonAttributes {
  'client-id': string;
  'session-id'?: string;
  /** Read from the `nonce` property: browsers blank the attribute once parsed. */
  nonce?: string;
  lang?: string;
  name?: string;
}

/**
 * `<kyc-vs-button client-id="…" session-id="…">Verify vaccination status</kyc-vs-button>`: runs
 * `KycVs.verify()` on click. Style it with `kyc-vs-button::part(button)` and
 * `kyc-vs-button:state(verified)`.
 */
export interface KycVsButtonElement extends HTMLElement {
  addEventListener<K extends keyof KycVsButtonEventMap>(
    type: K,
    listener: (this: KycVsButtonElement, event: KycVsButtonEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: KycVsButtonElement, event: HTMLElementEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof KycVsButtonEventMap>(
    type: K,
    listener: (this: KycVsButtonElement, event: KycVsButtonEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(
    type: K,
    listener: (this: KycVsButtonElement, event: HTMLElementEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

declare global {
  /** Defined by embed.js (load it with a classic `<script src>` before your own scripts). */
  var KycVs: KycVsApi;
  interface HTMLElementTagNameMap {
    'kyc-vs-button': KycVsButtonElement;
  }
  /** The button's events bubble to its form and the document. */
  interface GlobalEventHandlersEventMap extends KycVsButtonEventMap {}
}
