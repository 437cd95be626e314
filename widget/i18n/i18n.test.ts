import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LANGUAGES } from '../../protocol/languages.ts';
import { en } from './en.ts';
import { LANGS, loadCatalog, pickLang, type Lang } from './index.ts';

/** `code` if the frame offers that language yet, else English (catalogs arrive one by one). */
const ifOffered = (code: string): Lang => LANGS.find((l) => l.code === code)?.code ?? 'en';

test('pickLang: the host option first, then the browser languages, then English', () => {
  assert.equal(pickLang('hi', ['en-IN']), 'hi');
  assert.equal(pickLang('hi-IN', []), 'hi');
  assert.equal(pickLang(undefined, ['hi-IN', 'en']), 'hi');
  assert.equal(pickLang('xx', ['fr-FR', 'hi']), 'hi');
  assert.equal(pickLang('xx', ['fr']), 'en');
  assert.equal(pickLang(undefined, []), 'en');
  assert.equal(pickLang('EN_in', ['hi']), 'en', 'case and underscores as browsers and hosts write them');
});

test('pickLang: every offered language by its primary subtag, with region and script tags', () => {
  for (const { code } of LANGS) {
    const { scriptTag } = LANGUAGES.find((l) => l.code === code)!;
    for (const tag of [code, `${code}-IN`, `${code}-${scriptTag}`, `${code}-${scriptTag}-IN`, `${code.toUpperCase()}-in`]) {
      assert.equal(pickLang(tag, []), code, tag);
      assert.equal(pickLang(undefined, ['fr-FR', tag]), code, `browser: ${tag}`);
    }
  }
});

test('pickLang: a tag is not read by its first two letters, nor a reader of another script given this one', () => {
  // Asturian, Hawaiian, Tagalog…: their first two letters are another language's code.
  assert.equal(pickLang('ast', []), 'en');
  assert.equal(pickLang('haw', ['tgl']), 'en');
  assert.equal(pickLang('ast-ES', ['as-IN']), ifOffered('as'));
  assert.equal(pickLang('pa-Guru-IN', []), ifOffered('pa'));
  assert.equal(pickLang('bn-BD', []), ifOffered('bn'));
  // Punjabi in Shahmukhi (Pakistan) cannot read the Gurmukhi catalog; Hinglish readers get English.
  assert.equal(pickLang('pa-Arab-PK', ['hi']), 'hi');
  assert.equal(pickLang('pa-PK', []), 'en');
  assert.equal(pickLang('hi-Latn', []), 'en');
});

/**
 * One sample argument for every parameter type the catalogs' functions take: a Date (a clock time
 * five minutes on) that reads as "7" in text and as 7 as a number.
 */
function sample(): Date {
  const at = new Date(Date.now() + 5 * 60_000);
  Object.defineProperty(at, Symbol.toPrimitive, { value: (hint: string) => (hint === 'number' ? 7 : '7') });
  return at;
}

/** Every leaf of a catalog, by path: strings as they are, functions called with sample arguments. */
function leaves(catalog: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    const path = `${prefix}${key}`;
    if (typeof value === 'string') out.set(path, value);
    else if (typeof value === 'function') out.set(path, String((value as (...args: Date[]) => string)(sample(), sample(), sample())));
    else for (const [k, v] of leaves(value as object, `${path}.`)) out.set(k, v);
  }
  return out;
}

/** Texts that are the same in every language (the word on the SMS itself). */
const SAME_IN_EVERY_LANGUAGE = new Set(['OTP']);
/** At least this share of a catalog's letters is in its language's script (the rest: OTP, SMS, KYC-VS). */
const MIN_SCRIPT_SHARE = 0.9;

for (const { code } of LANGS.filter((l) => l.code !== 'en')) {
  const { script } = LANGUAGES.find((l) => l.code === code)!;

  test(`the ${code} catalog has every English string, none empty, really translated, in the ${script} script`, async (t) => {
    const english = leaves(en);
    const translated = leaves(await loadCatalog(code));
    assert.deepEqual([...translated.keys()].sort(), [...english.keys()].sort());
    for (const [path, text] of translated) {
      assert.notEqual(text.trim(), '', path);
      if (!SAME_IN_EVERY_LANGUAGE.has(text)) assert.notEqual(text, english.get(path), path);
    }
    const letters = [...translated.values()].join(' ').match(/[\p{L}\p{M}]/gu) ?? [];
    const inScript = letters.filter((c) => new RegExp(`\\p{Script=${script}}`, 'u').test(c)).length;
    const share = inScript / letters.length;
    t.diagnostic(`${code}: ${inScript} of ${letters.length} letters in ${script} (${(share * 100).toFixed(1)} %)`);
    assert.ok(share >= MIN_SCRIPT_SHARE, `only ${(share * 100).toFixed(1)} % of the letters are ${script}`);
  });
}

test('every language offered is one of the twelve and is named in itself', () => {
  assert.equal(LANGS[0]?.code, 'en', 'English first');
  for (const { code, name } of LANGS) {
    const { script } = LANGUAGES.find((l) => l.code === code)!;
    assert.match(name, new RegExp(`^[\\p{Script=${script}}\\p{M}]+$`, 'u'), code);
  }
});
