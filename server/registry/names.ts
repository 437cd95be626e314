const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'shri', 'shree', 'smt', 'kumari', 'km', 'sri', 'srimati']);

/**
 * The form of a name used for matching: NFKC, case-folded, punctuation dropped, honorifics
 * dropped, words sorted. "Dr. VERMA,  Asha" and "asha verma" give the same key.
 */
export function nameKey(name: string): string {
  // Plain ASCII needs no Unicode normalisation (NFKC leaves it unchanged) and lower-cases the same
  // with or without a locale: skip the costly steps (a bulk import calls this for every row).
  const ascii = /^[\x20-\x7e]*$/.test(name);
  const words = (ascii ? name.toLowerCase() : name.normalize('NFKC').toLocaleLowerCase('en'))
    // Apostrophes join ("D'Souza" = "DSouza"); other non-letters (Indic vowel signs are marks, kept) separate words.
    .replace(/['\u2019\u02bc`]/g, '')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w !== '' && !HONORIFICS.has(w));
  return words.sort().join(' ');
}

export function namesMatch(a: string, b: string): boolean {
  const key = nameKey(a);
  return key !== '' && key === nameKey(b);
}
