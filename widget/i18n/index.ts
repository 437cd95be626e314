import { LANGUAGES, type LangCode } from '../../protocol/languages.ts';
import { en, type Catalog } from './en.ts';

export type { Catalog };

/** A catalog module exports its catalog under its own code (`export const bn: Catalog = …`). */
type CatalogLoader<C extends LangCode> = () => Promise<Record<C, Catalog>>;

// English ships in the frame bundle; every other language is its own chunk, loaded on demand, so
// a language costs a citizen nothing unless they read it. A language is offered (switcher,
// pickLang) once its line is here: adding one is that line, and a catalog module that misses a
// string, or exports it under another name, fails the build.
const loaders = {
  hi: () => import('./hi.ts'),
  bn: () => import('./bn.ts'),
  gu: () => import('./gu.ts'),
  kn: () => import('./kn.ts'),
  ml: () => import('./ml.ts'),
  mr: () => import('./mr.ts'),
  or: () => import('./or.ts'),
  pa: () => import('./pa.ts'),
  ta: () => import('./ta.ts'),
  te: () => import('./te.ts'),
  as: () => import('./as.ts'),
} satisfies { [C in Exclude<LangCode, 'en'>]?: CatalogLoader<C> };

/** A language the frame can show: English and every language with a loader. */
export type Lang = 'en' | keyof typeof loaders;

export interface Language {
  code: Lang;
  /** The language's name in itself. */
  name: string;
}

function isLang(code: string): code is Lang {
  return code === 'en' || Object.hasOwn(loaders, code);
}

/** The languages the frame offers, in Co-WIN's order, each named in itself. */
export const LANGS: readonly Language[] = LANGUAGES.flatMap(({ code, name }) => (isLang(code) ? [{ code, name }] : []));

const SCRIPT_OF: ReadonlyMap<string, string> = new Map(LANGUAGES.map((l) => [l.code, l.scriptTag.toLowerCase()]));
/** Regions where a language is written, by default, in another script than its catalog's. */
const OTHER_SCRIPT_REGION: Partial<Record<LangCode, string>> = { pa: 'pk' };

/**
 * The catalog language a BCP 47 tag asks for, or null. Only the primary subtag names the language
 * ("as-IN" is Assamese, "ast" Asturian, not Assamese); a script subtag other than the catalog's
 * (`pa-Arab`, `hi-Latn`) is a reader of another script, and Punjabi in Pakistan is written in
 * Shahmukhi unless the tag says otherwise.
 */
function langOfTag(tag: string): Lang | null {
  const [primary = '', ...rest] = tag.trim().toLowerCase().split(/[-_]/);
  if (!isLang(primary)) return null;
  const script = rest.find((part) => /^[a-z]{4}$/.test(part));
  if (script && script !== SCRIPT_OF.get(primary)) return null;
  if (!script && rest.includes(OTHER_SCRIPT_REGION[primary] ?? '-')) return null;
  return primary;
}

/** The host's `lang` option wins, then the browser's preferred languages, then English. */
export function pickLang(requested: string | undefined, preferred: readonly string[]): Lang {
  for (const tag of [requested, ...preferred]) {
    const lang = tag === undefined ? null : langOfTag(tag);
    if (lang) return lang;
  }
  return 'en';
}

/** The same map, typed so that a language's loader is known to yield that language's catalog. */
const catalogLoaders: { [C in Exclude<Lang, 'en'>]: CatalogLoader<C> } = loaders;

async function loadOther<C extends Exclude<Lang, 'en'>>(lang: C): Promise<Catalog> {
  return (await catalogLoaders[lang]())[lang];
}

export function loadCatalog(lang: Lang): Promise<Catalog> {
  return lang === 'en' ? Promise.resolve(en) : loadOther(lang);
}
