import assert from 'node:assert/strict';
import { test } from 'node:test';
import { en } from './en.ts';
import { loadCatalog, pickLang } from './index.ts';

test('pickLang: the host option first, then the browser languages, then English', () => {
  assert.equal(pickLang('hi', ['en-IN']), 'hi');
  assert.equal(pickLang('hi-IN', []), 'hi');
  assert.equal(pickLang(undefined, ['hi-IN', 'en']), 'hi');
  assert.equal(pickLang('ta', ['fr-FR', 'hi']), 'hi');
  assert.equal(pickLang('xx', ['fr']), 'en');
  assert.equal(pickLang(undefined, []), 'en');
});

/** Every leaf of a catalog, by path: strings as they are, functions called with sample arguments. */
function leaves(catalog: object, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(catalog)) {
    const path = `${prefix}${key}`;
    if (typeof value === 'string') out.set(path, value);
    else if (typeof value === 'function') out.set(path, String((value as (arg: string) => string)('7')));
    else for (const [k, v] of leaves(value as object, `${path}.`)) out.set(k, v);
  }
  return out;
}

test('the Hindi catalog has every English string, none empty, and is really translated', async () => {
  const english = leaves(en);
  const hindi = leaves(await loadCatalog('hi'));
  assert.deepEqual([...hindi.keys()].sort(), [...english.keys()].sort());
  for (const [path, text] of hindi) {
    assert.notEqual(text.trim(), '', path);
    // "OTP" is the same word in both languages; every other string should differ.
    if (path !== 'otpLabel') assert.notEqual(text, english.get(path), path);
  }
});
