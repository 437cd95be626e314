// Name matching: case, spacing, punctuation, honorifics, word order and Unicode form do not
// matter; a different name does not match. Examples, then properties over generated names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { asciiNameKey, nameKey, namesMatch, unicodeNameKey } from './names.ts';

const HONORIFICS = ['Mr', 'Mrs', 'Ms', 'Dr', 'Shri', 'Smt', 'Kumari'];

describe('names that match', () => {
  const same: [string, string, string][] = [
    ['case', 'Asha Verma', 'ASHA verma'],
    ['repeated and edge spaces', 'Asha Verma', '  Asha \t  Verma  '],
    ['punctuation between words', 'Asha Verma', 'Verma, Asha.'],
    ['word order', 'Asha Rani Verma', 'Verma Asha Rani'],
    ['NFKC: full-width letters', 'Asha Verma', 'Ａｓｈａ Ｖｅｒｍａ'],
    ['NFKC: ligature', 'Rafiq Khan', 'Raﬁq Khan'],
    ['NFKC: Devanagari nukta, precomposed and combining', '\u0958\u092e\u0930 \u0916\u093e\u0928', '\u0915\u093c\u092e\u0930 \u0916\u093e\u0928'],
    ['Devanagari with vowel signs', 'आशा वर्मा', 'वर्मा  आशा'],
    ['punctuation inside a word (apostrophe)', "Anita D'Souza", 'Anita DSouza'],
  ];
  for (const [what, a, b] of same) {
    test(`${what}: "${a}" ~ "${b}"`, () => assert.ok(namesMatch(a, b), `${nameKey(a)} vs ${nameKey(b)}`));
  }

  for (const h of HONORIFICS) {
    test(`honorific ${h}, with or without a dot, any case`, () => {
      for (const form of [`${h} Asha Verma`, `${h}. Asha Verma`, `${h.toUpperCase()} ASHA VERMA`, `Asha Verma (${h.toLowerCase()})`]) {
        assert.ok(namesMatch('Asha Verma', form), form);
      }
    });
  }
});

describe('names that do not match', () => {
  const different: [string, string][] = [
    ['Asha Verma', 'Ravi Verma'],
    ['Asha Verma', 'Asha'],
    ['Asha Verma', 'Asha Verma Singh'],
    ['Asha Verma', 'Aasha Verma'],
    ['Asha Verma', 'Asha Varma'],
    ['Asha Verma', 'Asha Asha Verma'],
    ['आशा वर्मा', 'आश वर्मा'],
  ];
  for (const [a, b] of different) test(`"${a}" ≁ "${b}"`, () => assert.ok(!namesMatch(a, b)));

  test('a name of honorifics or punctuation alone matches nothing, not even itself', () => {
    for (const empty of ['', '   ', 'Dr.', 'Mr Mrs', '...', '--']) {
      assert.equal(nameKey(empty), '');
      assert.ok(!namesMatch(empty, empty), JSON.stringify(empty));
      assert.ok(!namesMatch(empty, 'Dr'), JSON.stringify(empty));
    }
  });
});

describe('properties', () => {
  const honorificWords = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'shri', 'shree', 'smt', 'kumari', 'km', 'sri', 'srimati']);
  const word = fc.stringMatching(/^[A-Za-z]{1,10}$/).filter((w) => !honorificWords.has(w.toLowerCase()));
  const name = fc.array(word, { minLength: 1, maxLength: 4 });
  const separator = fc.stringMatching(/^[ ,.\-()"/;:]{0,3} [ ,.\-()"/;:]{0,3}$/);
  const edge = fc.stringMatching(/^[ ,.\-()]{0,3}$/);

  const fullWidth = (s: string) => [...s].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');

  test('any re-presentation of the same words matches: case, separators, honorific, order, full-width forms', () => {
    fc.assert(
      fc.property(
        name,
        fc.array(separator, { minLength: 4, maxLength: 4 }),
        edge,
        fc.option(fc.constantFrom(...HONORIFICS)),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        fc.boolean(),
        (words, seps, end, honorific, flips, wide) => {
          const original = words.join(' ');
          const order = [...words].reverse();
          const cased = order.map((w, i) => [...w].map((c, j) => (flips[(i * 10 + j) % 40] ? c.toUpperCase() : c.toLowerCase())).join(''));
          const shown = cased.map((w) => (wide ? fullWidth(w) : w));
          let presented = shown.map((w, i) => (i === 0 ? w : `${seps[i - 1]}${w}`)).join('');
          if (honorific) presented = `${honorific}. ${presented}`;
          presented = `${end}${presented}${end}`;
          assert.ok(namesMatch(original, presented), `${original} vs ${presented}`);
        },
      ),
    );
  });

  test('names with different words never match', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        const bag = (ws: string[]) => ws.map((w) => w.toLowerCase()).sort().join(' ');
        fc.pre(bag(a) !== bag(b));
        assert.ok(!namesMatch(a.join(' '), b.join(' ')), `${a.join(' ')} vs ${b.join(' ')}`);
      }),
    );
  });

  test('matching is symmetric and the key is stable (key of a key is the key)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 }), (a, b) => {
        assert.equal(namesMatch(a, b), namesMatch(b, a));
        assert.equal(nameKey(nameKey(a)), nameKey(a));
      }),
    );
  });
});

test('property: the ASCII scan gives the general path\'s key for any printable ASCII name', () => {
  const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  const wordy = fc.array(fc.constantFrom('Mr', 'dr.', "D'Souza", '`x', "'", 'Asha', 'VERMA', '9', '-', ' ', ',', 'shri', "mr'"), { maxLength: 8 }).map((w) => w.join(''));
  fc.assert(
    fc.property(fc.oneof(ascii, wordy), (name) => {
      assert.equal(asciiNameKey(name), unicodeNameKey(name), JSON.stringify(name));
      assert.equal(nameKey(name), unicodeNameKey(name));
    }),
    { numRuns: 5000 },
  );
});
