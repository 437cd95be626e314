// The languages the citizen may read the check in: Co-WIN's twelve. Shared by the frame (its
// switcher and catalogs), the server (the SMS templates, per-language client texts) and the API
// schemas, so a language added here must be added everywhere or the build fails.

/**
 * `name`: the language in itself, as a reader looks for it; `script`: the Unicode Script property its
 * letters have; `scriptTag`: that script's ISO 15924 code, as in a BCP 47 tag (`pa-Guru-IN`).
 */
export const LANGUAGES = [
  { code: 'en', name: 'English', script: 'Latin', scriptTag: 'Latn' },
  { code: 'hi', name: 'हिन्दी', script: 'Devanagari', scriptTag: 'Deva' },
  { code: 'bn', name: 'বাংলা', script: 'Bengali', scriptTag: 'Beng' },
  { code: 'gu', name: 'ગુજરાતી', script: 'Gujarati', scriptTag: 'Gujr' },
  { code: 'kn', name: 'ಕನ್ನಡ', script: 'Kannada', scriptTag: 'Knda' },
  { code: 'ml', name: 'മലയാളം', script: 'Malayalam', scriptTag: 'Mlym' },
  { code: 'mr', name: 'मराठी', script: 'Devanagari', scriptTag: 'Deva' },
  { code: 'or', name: 'ଓଡ଼ିଆ', script: 'Oriya', scriptTag: 'Orya' },
  { code: 'pa', name: 'ਪੰਜਾਬੀ', script: 'Gurmukhi', scriptTag: 'Guru' },
  { code: 'ta', name: 'தமிழ்', script: 'Tamil', scriptTag: 'Taml' },
  { code: 'te', name: 'తెలుగు', script: 'Telugu', scriptTag: 'Telu' },
  // Assamese is written in the Bengali-Assamese script (Unicode's "Bengali" block, with ৰ and ৱ).
  { code: 'as', name: 'অসমীয়া', script: 'Bengali', scriptTag: 'Beng' },
] as const;

/** An ISO 639-1 code of one of the twelve languages. */
export type LangCode = (typeof LANGUAGES)[number]['code'];

export const LANG_CODES = LANGUAGES.map((l) => l.code) as [LangCode, ...LangCode[]];

export function isLangCode(code: string): code is LangCode {
  return (LANG_CODES as readonly string[]).includes(code);
}

const SCRIPT_OF: ReadonlyMap<string, string> = new Map(LANGUAGES.map((l) => [l.code, l.scriptTag.toLowerCase()]));
/** Regions where a language is written, by default, in another script than its catalog's. */
const OTHER_SCRIPT_REGION: Partial<Record<LangCode, string>> = { pa: 'pk' };

/**
 * The language a BCP 47 tag asks for, among those `offered`, or null. Only the primary subtag names
 * the language ("as-IN" is Assamese, "ast" Asturian, not Assamese); a script subtag other than the
 * catalog's (`pa-Arab`, `hi-Latn`) is a reader of another script, and Punjabi in Pakistan is written
 * in Shahmukhi unless the tag says otherwise.
 */
function langOfTag<L extends string>(tag: string, offered: (code: string) => code is L): L | null {
  const [primary = '', ...rest] = tag.trim().toLowerCase().split(/[-_]/);
  if (!offered(primary)) return null;
  const script = rest.find((part) => /^[a-z]{4}$/.test(part));
  if (script && script !== SCRIPT_OF.get(primary)) return null;
  if (!script && rest.includes(OTHER_SCRIPT_REGION[primary as LangCode] ?? '-')) return null;
  return primary;
}

/** The first of `tags` (a host's or link's choice, then the browser's languages) that a page offers, else English. */
export function pickOffered<L extends string>(tags: readonly (string | undefined)[], offered: (code: string) => code is L): L | 'en' {
  for (const tag of tags) {
    const lang = tag === undefined ? null : langOfTag(tag, offered);
    if (lang) return lang;
  }
  return 'en';
}
