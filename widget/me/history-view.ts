import { html, LitElement } from 'lit';
import type { MePerson } from '../../protocol/api.ts';
import type { MeCatalog } from './i18n/index.ts';

/** The history of each person on the mobile: who asked, why, when, and what was shared. */
export class HistoryView extends LitElement {
  static override properties = {
    t: { attribute: false },
    lang: {},
    people: { attribute: false },
    busy: { type: Boolean },
  };
  declare t: MeCatalog;
  declare lang: string;
  declare people: MePerson[];
  declare busy: boolean;

  // Light DOM: the page's stylesheet applies, and the page is one document for assistive technology.
  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  #older(person: MePerson): void {
    this.dispatchEvent(new CustomEvent('me-older', { detail: person, bubbles: true }));
  }

  protected override render() {
    const { t } = this;
    if (this.people.length === 0) return html`<p>${t.nobodyRegistered}</p>`;
    // India's conventions in the page's language: the date, then the time of day.
    const when = new Intl.DateTimeFormat(`${this.lang}-IN`, { dateStyle: 'medium', timeStyle: 'short' });
    return this.people.map(
      (person, index) => html`
        <section class="person" aria-labelledby="me-person-${index}">
          <h3 id="me-person-${index}">${person.name}</h3>
          ${person.disclosures.length === 0
            ? html`<p class="hint">${t.noChecks}</p>`
            : html`<ul class="checks">
                ${person.disclosures.map(
                  (d) => html`<li class="check ${d.event}">
                    <p class="verifier">${d.client_name}</p>
                    <dl>
                      <dt>${t.purpose}</dt>
                      <dd>${d.purpose}</dd>
                      <dt>${t.when}</dt>
                      <dd><time datetime=${d.at}>${when.format(new Date(d.at))}</time></dd>
                      <dt>${t.decision}</dt>
                      <dd class="decision">
                        ${d.event === 'allow' && d.vaccination_status !== undefined ? t.shared(t.statuses[d.vaccination_status]) : t.refused}
                      </dd>
                    </dl>
                  </li>`,
                )}
              </ul>`}
          ${person.older
            ? html`<button type="button" ?disabled=${this.busy} @click=${() => this.#older(person)}>${t.older(person.name)}</button>`
            : ''}
        </section>
      `,
    );
  }
}

customElements.define('kycvs-me-history', HistoryView);
