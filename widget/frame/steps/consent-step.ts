import { html } from 'lit';
import { inLang, sentenceWith, type ShownClient } from '../client-text.ts';
import { LightElement } from '../light-element.ts';
import { VisibilityGuard } from '../visibility.ts';

/**
 * Who asks, the one fact that would be shared (not its value: the status is shown only after the
 * choice), and the choice. Share acts only once the frame has been in full view for a moment
 * (VisibilityGuard); until then it says why it is off, and stays focusable.
 */
export class ConsentStep extends LightElement {
  static override properties = {
    client: { attribute: false },
    pageLang: {},
    issuer: {},
    busy: { type: Boolean },
  };
  declare client: ShownClient;
  /** The frame's language: a name not in it is marked with its own. */
  declare pageLang: string;
  /** Who runs the service and signs the fact. */
  declare issuer: string;
  declare busy: boolean;

  readonly #guard = new VisibilityGuard(this);

  focusStart(): void {
    // The heading, not Share: a stray Enter must not share.
    this.querySelector('h2')?.focus();
  }

  async #share(): Promise<void> {
    if (await this.#guard.confirm()) this.emit('kycvs-decide', true);
  }

  protected override render() {
    const { t } = this;
    const off = !this.#guard.armed;
    return html`
      <h2 tabindex="-1">${t.consentHeading}</h2>
      <p>${sentenceWith(html, (client) => t.consentIntro(client, this.issuer), inLang(html, this.client.name, this.client.nameLang, this.pageLang))}</p>
      <p class="fact">${t.consentWhat}</p>
      <p>${t.consentNothingElse}</p>
      <div class="actions sticky">
        <button class="primary" type="button" ?disabled=${this.busy} aria-disabled=${off ? 'true' : 'false'}
          aria-describedby="kycvs-share-wait" @click=${() => void this.#share()}>
          ${t.share}
        </button>
        <button type="button" ?disabled=${this.busy} @click=${() => this.emit('kycvs-decide', false)}>${t.dontShare}</button>
        <p id="kycvs-share-wait" class="hint">${off ? t.shareWaits : ''}</p>
      </div>
    `;
  }
}

customElements.define('kycvs-consent-step', ConsentStep);
