// The smallest frame one could build on the widget's stack: Lit and one component, nothing else.
// bench/widget.ts bundles this with Vite as the baseline for the frame's weight.
import { LitElement, html } from 'lit';

class Floor extends LitElement {
  override render() {
    return html`<form><input name="mobile" /><button>Send</button></form>`;
  }
}

customElements.define('kycvs-floor', Floor);
