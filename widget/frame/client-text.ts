// Who asks and why, in the page's language where the verifier registered it; English otherwise,
// marked as English so a screen reader reads it with an English voice inside a Hindi page. No Lit
// here: the server renders the first step with these too (markup.ts), each caller passing its `html`.
import type { PublicClient } from '../../protocol/api.ts';
import type { LangCode } from '../../protocol/languages.ts';
import type { ClientTextsByLang } from '../../protocol/messages.ts';
import type { Html } from './markup.ts';

export interface ShownClient {
  name: string;
  purpose: string;
  /** The language each is in, when known (a backend's own purpose: not known). */
  nameLang?: LangCode | undefined;
  purposeLang?: LangCode | undefined;
}

/** What the page config says of the client (the link page's config has no `texts`: its session says). */
export interface ConfigClient {
  clientName: string;
  purpose: string;
  texts?: ClientTextsByLang | undefined;
}

/** From the page config: the registered texts in `lang`, else the English ones. */
export function clientFromConfig(config: ConfigClient, lang: LangCode): ShownClient {
  const text = lang === 'en' ? undefined : config.texts?.[lang];
  return {
    name: text?.name ?? config.clientName,
    purpose: text?.purpose ?? config.purpose,
    nameLang: text?.name ? lang : 'en',
    purposeLang: text?.purpose ? lang : 'en',
  };
}

/** From a session answer (asked with `lang`, so it says which language each part is in). */
export function clientFromSession(client: PublicClient): ShownClient {
  return { name: client.name, purpose: client.purpose, nameLang: client.name_lang, purposeLang: client.purpose_lang };
}

/** `text`, wrapped with its own `lang` when it is not in the page's. */
export function inLang<R>(html: Html<R>, text: string, textLang: LangCode | undefined, pageLang: string): R | string {
  return textLang && textLang !== pageLang ? html`<span lang=${textLang}>${text}</span>` : text;
}

const SLOT = '\u0000';

/** A catalog sentence with a part (e.g. a marked name) in place of its argument. */
export function sentenceWith<R>(html: Html<R>, sentence: (part: string) => string, part: R | string): R {
  const [before = '', after = ''] = sentence(SLOT).split(SLOT);
  return html`${before}${part}${after}`;
}
