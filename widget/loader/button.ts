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

    constructor() {
      super();
      const internals = this.attachInternals();
      const attr = (name: KycVsButtonAttribute) => this.getAttribute(name) ?? undefined;
      const button = document.createElement('button');
      button.type = 'button';
      button.part = 'button';
      const slot = document.createElement('slot');
      slot.textContent = 'Verify vaccination status';
      button.append(slot);
      button.onclick = async () => {
        let type: keyof KycVsButtonEventMap = 'kycvs-result';
        let detail: VerifyResult | KycVsErrorDetail;
        try {
          detail = await verify({
            clientId: attr('client-id') ?? '',
            sessionId: attr('session-id'),
            // The property, not the attribute: browsers blank a `nonce` attribute once parsed (nonce hiding).
            nonce: this.nonce || undefined,
            lang: attr('lang'),
          });
          internals.setFormValue(detail.token);
          // Lets a host without script style the button once verified: kyc-vs-button:state(verified).
          internals.states?.add('verified');
        } catch (error) {
          type = 'kycvs-error';
          const { code, message } = error instanceof KycVsError ? error : new KycVsError('failed', String(error));
          detail = { code, message };
        }
        this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
      };
      this.attachShadow({ mode: 'open', delegatesFocus: true }).append(button);
    }
  }
  if (!customElements.get('kyc-vs-button')) customElements.define('kyc-vs-button', KycVsButton);
}
