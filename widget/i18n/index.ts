import { LANGUAGES, pickOffered, type LangCode } from '../../protocol/languages.ts';
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

/** The host's `lang` option wins, then the browser's preferred languages, then English. */
export function pickLang(requested: string | undefined, preferred: readonly string[]): Lang {
  return pickOffered([requested, ...preferred], isLang);
}

/** The same map, typed so that a language's loader is known to yield that language's catalog. */
const catalogLoaders: { [C in Exclude<Lang, 'en'>]: CatalogLoader<C> } = loaders;

async function loadOther<C extends Exclude<Lang, 'en'>>(lang: C): Promise<Catalog> {
  return (await catalogLoaders[lang]())[lang];
}

export function loadCatalog(lang: Lang): Promise<Catalog> {
  return lang === 'en' ? Promise.resolve(en) : loadOther(lang);
}
