import { html, type PropertyValues } from 'lit';
import type { Correction, Field } from '../flow.ts';
import { LightElement } from '../light-element.ts';
import { VisibilityGuard } from '../visibility.ts';

const canTry = (c: Correction) => c.triesLeft > 0 && !c.fixedByHost;

/**
 * The code proved the mobile, but the name matches no one on it: there is nothing to share (never
 * a "not vaccinated"). The citizen may type the name again, or pick theirs from the names on the
 * mobile, while tries are left; or end the check. A website-given name cannot be changed here.
 * Same place, focus and surroundings as the consent step, and it fits the frozen height (app.ts).
 */
export class CorrectionStep extends LightElement {
  static override properties = {
    correction: { attribute: false },
    busy: { type: Boolean },
    invalid: {},
    draft: { state: true },
  };
  declare correction: Correction;
  declare busy: boolean;
  declare invalid: Field | undefined;
  /** What "Try this name" sends: typed, or picked from the list. */
  declare draft: string;

  constructor() {
    super();
    // Nothing here needs the guard, but the same observer runs as on the consent step, so that not
    // even the browser's work of tracking this frame's visibility differs between the two.
    new VisibilityGuard(this);
  }

  focusStart(): void {
    this.querySelector('h2')?.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // The field starts from the name last tried.
    if (changed.has('correction') && changed.get('correction')?.name !== this.correction.name) this.draft = this.correction.name;
  }

  protected override updated(changed: PropertyValues<this>): void {
    const before = changed.get('correction');
    if (!before) return;
    // The list replaces the button that asked for it: focus moves into the list.
    if (!before.names && this.correction.names) {
      (this.querySelector<HTMLElement>('input[type="radio"]') ?? this.querySelector('h2'))?.focus();
    } else if (canTry(before) && !canTry(this.correction)) {
      // Nothing more to try: the step now says so, read from its heading.
      this.focusStart();
    }
  }

  #submit(event: SubmitEvent): void {
    event.preventDefault();
    const name = this.draft.trim();
    if (!name) return this.emit('kycvs-invalid', { field: 'name', text: this.t.invalidName });
    this.emit('kycvs-correct-name', name);
  }

  #names(names: readonly string[]) {
    const { t } = this;
    return html`<fieldset class="names">
      <legend>${t.namesLegend}</legend>
      ${names.length === 0
        ? html`<p class="hint">${t.namesNone}</p>`
        : html`<p class="hint">${t.namesHint}</p>
            ${names.map(
              (name) => html`<label class="choice">
                <input type="radio" name="member" .value=${name} .checked=${this.draft === name}
                  @change=${() => (this.draft = name)} />
                <span>${name}</span>
              </label>`,
            )}`}
    </fieldset>`;
  }

  #form() {
    const { t, correction } = this;
    return html`<form novalidate @submit=${this.#submit}>
      <div class="field">
        <label for="kycvs-correct-name">${t.correctNameLabel}</label>
        <input id="kycvs-correct-name" name="name" autocomplete="name" maxlength="100" required .value=${this.draft}
          @input=${(event: InputEvent) => (this.draft = (event.target as HTMLInputElement).value)}
          aria-invalid=${this.invalid === 'name'} aria-describedby="kycvs-correct-hint kycvs-alert" />
        <p id="kycvs-correct-hint" class="hint">${t.correctNameHint}</p>
      </div>
      ${correction.names
        ? this.#names(correction.names)
        : html`<button type="button" ?disabled=${this.busy} @click=${() => this.emit('kycvs-show-names')}>${t.showNames}</button>`}
      <div class="actions">
        <button class="primary" type="submit" ?disabled=${this.busy} aria-describedby="kycvs-name-tries">${t.tryName}</button>
        <p id="kycvs-name-tries" class="hint">${t.nameTriesLeft(correction.triesLeft)}</p>
      </div>
    </form>`;
  }

  protected override render() {
    const { t, correction } = this;
    const open = canTry(correction);
    return html`
      <h2 tabindex="-1">${t.noMatchHeading}</h2>
      <p>${t.noMatchNamed(correction.name)}</p>
      ${correction.fixedByHost ? html`<p>${t.nameFixedByHost}</p>` : open ? this.#form() : html`<p>${t.noNameTriesLeft}</p>`}
      <p class="hint">${t.noMatchNotShared}</p>
      <div class="actions sticky">
        <button class=${open ? '' : 'primary'} type="button" @click=${() => this.emit('kycvs-end')}>${t.endCheck}</button>
      </div>
    `;
  }
}

customElements.define('kycvs-correction-step', CorrectionStep);
