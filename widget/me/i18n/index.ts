import { LANGUAGES, pickOffered, type LangCode } from '../../../protocol/languages.ts';
import { en, type MeCatalog } from './en.ts';

export type { MeCatalog };

// English ships in the page's bundle; every other language is its own chunk, loaded on demand.
// Adding a language is its catalog module (`export const xx: MeCatalog`) and one line here.
const loaders = {
  hi: () => import('./hi.ts').then((m) => m.hi),
  bn: () => import('./bn.ts').then((m) => m.bn),
  gu: () => import('./gu.ts').then((m) => m.gu),
  kn: () => import('./kn.ts').then((m) => m.kn),
  ml: () => import('./ml.ts').then((m) => m.ml),
  mr: () => import('./mr.ts').then((m) => m.mr),
  or: () => import('./or.ts').then((m) => m.or),
  pa: () => import('./pa.ts').then((m) => m.pa),
  ta: () => import('./ta.ts').then((m) => m.ta),
  te: () => import('./te.ts').then((m) => m.te),
  as: () => import('./as.ts').then((m) => m.as),
} satisfies { [C in Exclude<LangCode, 'en'>]?: () => Promise<MeCatalog> };

export type MeLang = 'en' | keyof typeof loaders;

const isMeLang = (code: string): code is MeLang => code === 'en' || Object.hasOwn(loaders, code);

/** The languages this page offers, in Co-WIN's order, each named in itself. */
export const ME_LANGS: readonly { code: MeLang; name: string }[] = LANGUAGES.flatMap(({ code, name }) => (isMeLang(code) ? [{ code, name }] : []));

/** The link's `lang`, then the browser's languages (read as the frame reads them), then English. */
export function pickLang(requested: string | undefined, preferred: readonly string[]): MeLang {
  return pickOffered([requested, ...preferred], isMeLang);
}

export function loadCatalog(lang: MeLang): Promise<MeCatalog> {
  return lang === 'en' ? Promise.resolve(en) : loaders[lang]();
}
