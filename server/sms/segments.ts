// How many SMS segments a text costs (and how many parts a phone shows it in). A text of GSM 03.38
// characters only travels in 7-bit units: 160 in one segment, 153 per concatenated one. Any other
// character (every Indian script, curly quotes) makes the whole text UCS-2: 70 UTF-16 units in
// one segment, 67 per concatenated one.

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Sent as an escape and the character: two units each. */
const GSM_EXTENSION = '^{}\\[~]|€\f';

export interface SmsSize {
  encoding: 'gsm7' | 'ucs2';
  /** 7-bit units (gsm7) or UTF-16 units (ucs2). */
  units: number;
  segments: number;
}

export function smsSize(text: string): SmsSize {
  let septets = 0;
  for (const char of text) {
    if (GSM_BASIC.includes(char)) septets += 1;
    else if (GSM_EXTENSION.includes(char)) septets += 2;
    else return size('ucs2', text.length, 70, 67);
  }
  return size('gsm7', septets, 160, 153);
}

function size(encoding: SmsSize['encoding'], units: number, single: number, perPart: number): SmsSize {
  return { encoding, units, segments: units <= single ? 1 : Math.ceil(units / perPart) };
}
