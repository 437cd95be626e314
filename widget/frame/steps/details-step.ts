import { html, nothing } from 'lit';
import { LightElement } from '../light-element.ts';
import { detailsForm } from '../markup.ts';
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
    const { t, mobile, name, busy, invalid } = this;
    // The server's copy (prerender.ts), upgraded when this module loads: its form is already there.
    if (!t) return nothing;
    return detailsForm(html, { t, mobile, name, busy, invalid, onSubmit: (event) => this.#submit(event), onCancel: () => this.emit('kycvs-cancel') });
  }
}

customElements.define('kycvs-details-step', DetailsStep);
