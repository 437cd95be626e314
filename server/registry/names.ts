const HONORIFICS = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'shri', 'shree', 'smt', 'kumari', 'km', 'sri', 'srimati']);

/**
 * The form of a name used for matching: NFKC, case-folded, punctuation dropped, honorifics
 * dropped, words sorted. "Dr. VERMA,  Asha" and "asha verma" give the same key.
 */
export function nameKey(name: string): string {
  // Plain ASCII (most names, and every row of a bulk import checks one) takes one character scan
  // instead of normalising and three regular expressions; the same key as the general path, property-tested.
  return /^[\x20-\x7e]*$/.test(name) ? asciiNameKey(name) : unicodeNameKey(name);
}

/** The general path, for any text. */
export function unicodeNameKey(name: string): string {
  const words = name
    .normalize('NFKC')
    .toLocaleLowerCase('en')
    // Apostrophes join ("D'Souza" = "DSouza"); other non-letters (Indic vowel signs are marks, kept) separate words.
    .replace(/['\u2019\u02bc`]/g, '')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w !== '' && !HONORIFICS.has(w));
  return words.sort().join(' ');
}

/**
 * nameKey for printable ASCII, where NFKC changes nothing, lower-casing needs no locale, the
 * letters and digits are a-z and 0-9, and the apostrophes are ' and `.
 */
export function asciiNameKey(name: string): string {
  const text = name.toLowerCase();
  const words: string[] = [];
  let start = -1;
  let apostrophes = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (c === 39 || c === 96) {
      if (start < 0) start = i;
      apostrophes = true;
    } else if (start >= 0) {
      const word = apostrophes ? text.slice(start, i).replace(/['`]/g, '') : text.slice(start, i);
      if (word !== '' && !HONORIFICS.has(word)) words.push(word);
      start = -1;
      apostrophes = false;
    }
  }
  return words.sort().join(' ');
}

export function namesMatch(a: string, b: string): boolean {
  const key = nameKey(a);
  return key !== '' && key === nameKey(b);
}
