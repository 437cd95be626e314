// Text a verifier words and the service prints in an SMS in that verifier's name: the client's
// name and the purpose (registered with the client, or set per session by its backend). The SMS
// reads "<code> is your KYC-VS code. <name> asks for your vaccination status (<purpose>)."; what a
// verifier puts there must not be able to make the text say something else: no line breaks (a
// fake second message), no bidi or other invisible format characters (text that reads in another
// order than it is stored), and no number that could pass for a code, a phone number or an amount.

/** The most characters (code points) a client name or purpose may have. */
export const SMS_TEXT_MAX_CHARS = 80;

/** The most digits that may stand together, spaces, dashes, dots or slashes between them counting as together. */
export const SMS_TEXT_MAX_DIGITS_TOGETHER = 3;

// Cc: controls (newlines, tabs, escapes); Cf: format characters (U+200E/F marks, U+202A-E embeddings
// and overrides, U+2066-9 isolates, zero-width joiners, soft hyphen, BOM); Cs: a lone surrogate;
// Zl, Zp: U+2028 and U+2029, which end a line as a newline does.
const INVISIBLE_OR_LINE_BREAK = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
// Any script's digits (\p{Nd}: ०१२, ０１２, 𝟎𝟏𝟐) and other numerals (superscripts, circled digits),
// four of them in a row, alone or split by single spaces, dashes, dots or slashes: "0000", "000 000", "1-8-0-0".
const NUMBER_OF_FOUR_DIGITS = /\p{N}(?:[\p{Zs}\p{Pd}./]?\p{N}){3}/u;

/** Why `text` may not be printed in an SMS in a verifier's name, or null if it may. */
export function smsTextProblem(text: string): string | null {
  if (text.trim() === '') return 'is empty';
  if (INVISIBLE_OR_LINE_BREAK.test(text)) return 'has a line break, a control or an invisible formatting character';
  if (NUMBER_OF_FOUR_DIGITS.test(text)) return `has a number of more than ${SMS_TEXT_MAX_DIGITS_TOGETHER} digits`;
  // UTF-16 units first (no array for a short text), then code points.
  if (text.length > SMS_TEXT_MAX_CHARS && [...text].length > SMS_TEXT_MAX_CHARS) return `is longer than ${SMS_TEXT_MAX_CHARS} characters`;
  return null;
}

/** The rule in one sentence, for error messages and usage text. */
export const SMS_TEXT_RULE = `1-${SMS_TEXT_MAX_CHARS} characters, one line, no control or invisible formatting characters, no number of more than ${SMS_TEXT_MAX_DIGITS_TOGETHER} digits`;
