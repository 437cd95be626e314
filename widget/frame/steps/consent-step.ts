import { html } from 'lit';
import type { VaccinationStatus } from '../../../protocol/api.ts';
import { LightElement } from '../light-element.ts';

/** The one fact that will be shared, and the citizen's choice. */
export class ConsentStep extends LightElement {
  static override properties = {
    client: {},
    status: { type: Number },
    nameMatched: { type: Boolean },
    busy: { type: Boolean },
  };
  declare client: string;
  declare status: VaccinationStatus;
  declare nameMatched: boolean;
  declare busy: boolean;

  focusStart(): void {
    // The heading, not Share: a stray Enter must not share.
    this.querySelector('h2')?.focus();
  }

  protected override render() {
    const { t } = this;
    return html`
      <h2 tabindex="-1">${t.consentHeading}</h2>
      <p>${t.consentIntro(this.client)}</p>
      <p class="status" data-status=${this.status}>${t.statuses[this.status]}</p>
      ${this.nameMatched ? '' : html`<p class="hint">${t.nameNotMatched}</p>`}
      <div class="actions">
        <button class="primary" type="button" ?disabled=${this.busy} @click=${() => this.emit('kycvs-decide', true)}>
          ${t.share}
        </button>
        <button type="button" ?disabled=${this.busy} @click=${() => this.emit('kycvs-decide', false)}>${t.dontShare}</button>
      </div>
    `;
  }
}

customElements.define('kycvs-consent-step', ConsentStep);
