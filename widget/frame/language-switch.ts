import { html, nothing } from 'lit';
import { LANGS, type Lang } from '../i18n/index.ts';
import { LightElement } from './light-element.ts';
import { languageList } from './markup.ts';

const REMEMBERED = 'kycvs-lang';

/** The language the citizen chose earlier in this browser session (this frame's storage only), if any. */
export function rememberedLang(): string | undefined {
  try {
    return sessionStorage.getItem(REMEMBERED) ?? undefined;
  } catch {
    return undefined; // storage blocked (a third-party frame in some browsers): the choice lasts this page only
  }
}

function remember(lang: Lang): void {
  try {
    sessionStorage.setItem(REMEMBERED, lang);
  } catch {
    // See rememberedLang.
  }
}

/**
 * A labelled list of the frame's languages, each in its own name and marked with its `lang` (so a
 * screen reader says "বাংলা" in Bengali). A choice fires `kycvs-lang`; it is remembered for the
 * browser session. Nothing to choose with one language: nothing shown.
 */
export class LanguageSwitch extends LightElement {
  // Not `lang`: that is every element's own language attribute.
  static override properties = { current: {} };
  declare current: Lang;

  #change(event: Event): void {
    const lang = (event.target as HTMLSelectElement).value as Lang;
    remember(lang);
    this.emit<Lang>('kycvs-lang', lang);
  }

  protected override render() {
    if (!this.t || LANGS.length < 2) return nothing;
    return languageList(html, { t: this.t, current: this.current, langs: LANGS, onChange: (event) => this.#change(event) });
  }
}

customElements.define('kycvs-language-switch', LanguageSwitch);
