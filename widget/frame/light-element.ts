import { LitElement, type PropertyDeclarations } from 'lit';
import type { Catalog } from '../i18n/index.ts';

/**
 * A Lit element that renders into itself, not a shadow root: browsers' autofill (and password
 * managers, SMS code suggestions) do not reliably see inputs inside shadow DOM.
 */
export class LightElement extends LitElement {
  static override properties: PropertyDeclarations = { t: { attribute: false } };
  declare t: Catalog;

  protected override createRenderRoot(): HTMLElement {
    return this;
  }

  /** Fires a bubbling event the app listens for. */
  protected emit<T>(type: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true }));
  }
}
