import { html } from 'lit';
import { LightElement } from '../light-element.ts';
import { normaliseMobile } from '../mobile.ts';
import type { Field } from '../flow.ts';

export interface SendDetail {
  mobile: string;
  name: string;
}

/** Mobile number and name, prefilled when the host passed them. */
export class DetailsStep extends LightElement {
  static override properties = {
    mobile: {},
    name: {},
    busy: { type: Boolean },
    invalid: {},
  };
  declare mobile: string;
  declare name: string;
  declare busy: boolean;
  declare invalid: Field | undefined;

  focusStart(): void {
    const inputs = [...this.querySelectorAll('input')];
    (inputs.find((input) => input.value === '') ?? inputs[0])?.focus();
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const mobile = normaliseMobile(String(form.get('mobile')));
    const name = String(form.get('name')).trim();
    if (!mobile) return this.emit('kycvs-invalid', { field: 'mobile', text: this.t.invalidMobile });
    if (!name) return this.emit('kycvs-invalid', { field: 'name', text: this.t.invalidName });
    this.emit<SendDetail>('kycvs-send', { mobile, name });
  }

  protected override render() {
    const { t } = this;
    return html`
      <form novalidate @submit=${this.#submit}>
        <h2 tabindex="-1">${t.detailsHeading}</h2>
        <p class="hint">${t.detailsHint}</p>
        <div class="field">
          <label for="kycvs-mobile">${t.mobileLabel}</label>
          <input id="kycvs-mobile" name="mobile" type="tel" inputmode="numeric" autocomplete="tel-national"
            maxlength="16" required .value=${this.mobile} aria-invalid=${this.invalid === 'mobile'}
            aria-describedby="kycvs-alert" />
        </div>
        <div class="field">
          <label for="kycvs-name">${t.nameLabel}</label>
          <input id="kycvs-name" name="name" autocomplete="name" maxlength="100" required .value=${this.name}
            aria-invalid=${this.invalid === 'name'} aria-describedby="kycvs-name-hint kycvs-alert" />
          <p id="kycvs-name-hint" class="hint">${t.nameHint}</p>
        </div>
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.busy}>${t.sendOtp}</button>
          <button type="button" @click=${() => this.emit('kycvs-cancel')}>${t.cancel}</button>
        </div>
      </form>
    `;
  }
}

customElements.define('kycvs-details-step', DetailsStep);
