import { html, type TemplateResult } from 'lit';
import type { VaccinationStatus } from '../../../protocol/api.ts';
import { LightElement } from '../light-element.ts';

/** The citizen's history page on this service (the frame is served under /widget/), in the page's language. */
function historyUrl(): string {
  const url = new URL('../me/', location.href);
  url.search = new URLSearchParams({ lang: document.documentElement.lang }).toString();
  return url.href;
}

/**
 * A last screen, after a share or when the check cannot go on: a heading, a sentence, what was
 * shared and where to see every check of one's status (after a share), and Close when framed.
 */
export class EndStep extends LightElement {
  static override properties = {
    heading: {},
    text: {},
    shared: { attribute: false },
    closable: { type: Boolean },
  };
  declare heading: string;
  /** A template when it names the verifier in another language than the page's (client-text.ts). */
  declare text: TemplateResult | string;
  /** The status the citizen shared, shown only now that they have chosen. */
  declare shared: VaccinationStatus | undefined;
  declare closable: boolean;

  focusStart(): void {
    this.querySelector('h2')?.focus();
  }

  protected override render() {
    return html`
      <h2 tabindex="-1">${this.heading}</h2>
      ${this.shared === undefined
        ? ''
        : html`<p class="status" data-status=${this.shared}>${this.t.youShared(this.t.statuses[this.shared])}</p>`}
      <p>${this.text}</p>
      ${this.shared === undefined ? '' : html`<p><a href=${historyUrl()} target="_blank" rel="noopener">${this.t.whoChecked}</a></p>`}
      ${this.closable
        ? html`<div class="actions">
            <button class="primary" type="button" @click=${() => this.emit('kycvs-close')}>${this.t.close}</button>
          </div>`
        : ''}
    `;
  }
}

customElements.define('kycvs-end-step', EndStep);
