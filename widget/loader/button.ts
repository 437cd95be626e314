import type { KycVsErrorCode, VerifyOptions, VerifyResult } from '../../protocol/messages.ts';
import { KycVsError } from './errors.ts';

export interface KycVsErrorDetail {
  code: KycVsErrorCode;
  message: string;
}

/** The events the button fires (bubbling, composed). */
export interface KycVsButtonEventMap {
  'kycvs-result': CustomEvent<VerifyResult>;
  'kycvs-error': CustomEvent<KycVsErrorDetail>;
}

/** The attributes the button reads (besides `nonce`, read as a property, and `name`, its form field). */
export type KycVsButtonAttribute = 'client-id' | 'session-id' | 'lang';

/**
 * `<kyc-vs-button client-id nonce lang session-id name>` for hosts that write no script: it runs
 * the verification, fires `kycvs-result` / `kycvs-error`, and, being form-associated, submits the
 * token with its form under its `name`.
 */
export function defineButton(verify: (options: VerifyOptions) => Promise<VerifyResult>): void {
  class KycVsButton extends HTMLElement {
    static formAssociated = true;
    readonly #internals = this.attachInternals();

    connectedCallback(): void {
      if (this.shadowRoot) return;
      const button = document.createElement('button');
      button.type = 'button';
      button.part.add('button');
      const slot = document.createElement('slot');
      slot.textContent = 'Verify vaccination status';
      button.append(slot);
      button.addEventListener('click', () => void this.#run());
      this.attachShadow({ mode: 'open', delegatesFocus: true }).append(button);
    }

    async #run(): Promise<void> {
      const attr = (name: KycVsButtonAttribute) => this.getAttribute(name) ?? undefined;
      try {
        const result = await verify({
          clientId: attr('client-id') ?? '',
          sessionId: attr('session-id'),
          // The property, not the attribute: browsers blank a `nonce` attribute once parsed (nonce hiding).
          nonce: this.nonce || undefined,
          lang: attr('lang'),
        });
        this.#internals.setFormValue(result.token);
        // Lets a host without script style the button once verified: kyc-vs-button:state(verified).
        this.#internals.states?.add('verified');
        this.#emit('kycvs-result', result);
      } catch (error) {
        const { code, message } = error instanceof KycVsError ? error : new KycVsError('failed', String(error));
        this.#emit('kycvs-error', { code, message });
      }
    }

    #emit<K extends keyof KycVsButtonEventMap>(type: K, detail: KycVsButtonEventMap[K]['detail']): void {
      this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
    }
  }
  if (!customElements.get('kyc-vs-button')) customElements.define('kyc-vs-button', KycVsButton);
}
