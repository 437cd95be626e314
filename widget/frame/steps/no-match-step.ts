import { html } from 'lit';
import { LightElement } from '../light-element.ts';
import { VisibilityGuard } from '../visibility.ts';

/**
 * The name matches no one registered on the mobile: there is nothing to share (never a "not
 * vaccinated"), so the only way on is to end the check. Same place, focus and surroundings as
 * the consent step, so the host page cannot tell the two apart (the frame's height is frozen).
 */
export class NoMatchStep extends LightElement {
  constructor() {
    super();
    // Ending needs no guard, but the same observer runs as on the consent step, so that not even
    // the browser's work of tracking this frame's visibility differs between the two.
    new VisibilityGuard(this);
  }

  focusStart(): void {
    this.querySelector('h2')?.focus();
  }

  protected override render() {
    const { t } = this;
    return html`
      <h2 tabindex="-1">${t.noMatchHeading}</h2>
      <p>${t.noMatchText}</p>
      <div class="actions sticky">
        <button class="primary" type="button" @click=${() => this.emit('kycvs-end')}>${t.endCheck}</button>
      </div>
    `;
  }
}

customElements.define('kycvs-no-match-step', NoMatchStep);
