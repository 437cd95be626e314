import { html } from 'lit';
import { LightElement } from '../light-element.ts';

/** A last screen, after a share or when the check cannot go on: a heading, a sentence, and Close when framed. */
export class EndStep extends LightElement {
  static override properties = {
    heading: {},
    text: {},
    closable: { type: Boolean },
  };
  declare heading: string;
  declare text: string;
  declare closable: boolean;

  focusStart(): void {
    this.querySelector('h2')?.focus();
  }

  protected override render() {
    return html`
      <h2 tabindex="-1">${this.heading}</h2>
      <p>${this.text}</p>
      ${this.closable
        ? html`<div class="actions">
            <button class="primary" type="button" @click=${() => this.emit('kycvs-close')}>${this.t.close}</button>
          </div>`
        : ''}
    `;
  }
}

customElements.define('kycvs-end-step', EndStep);
