const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'shri', 'shree', 'smt', 'kumari', 'km', 'sri', 'srimati']);

/**
 * The form of a name used for matching: NFKC, case-folded, punctuation dropped, honorifics
 * dropped, words sorted. "Dr. VERMA,  Asha" and "asha verma" give the same key.
 */
export function nameKey(name: string): string {
  // Plain ASCII needs no Unicode normalisation (NFKC leaves it unchanged): skip the costly step.
  const normalised = /^[\x20-\x7e]*$/.test(name) ? name : name.normalize('NFKC');
  const words = normalised
    .toLocaleLowerCase('en')
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
