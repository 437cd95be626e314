import { en, type Catalog } from './en.ts';

export type { Catalog };
export type Lang = 'en' | 'hi';

// English ships in the frame bundle; other languages load on demand, so adding the next ten
// languages costs a citizen nothing unless they read them.
const loaders: Record<Exclude<Lang, 'en'>, () => Promise<Catalog>> = {
  hi: () => import('./hi.ts').then((m) => m.hi),
};

function isLang(code: string): code is Lang {
  return code === 'en' || code in loaders;
}

/** The host's `lang` option wins, then the browser's preferred languages, then English. */
export function pickLang(requested: string | undefined, preferred: readonly string[]): Lang {
  for (const tag of [requested, ...preferred]) {
    const code = tag?.slice(0, 2).toLowerCase();
    if (code && isLang(code)) return code;
  }
  return 'en';
}

export function loadCatalog(lang: Lang): Promise<Catalog> {
  return lang === 'en' ? Promise.resolve(en) : loaders[lang]();
}
