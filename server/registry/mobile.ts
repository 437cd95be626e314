/**
 * Normalises an Indian mobile number as people type it ("+91 98765-43210", "098765 43210")
 * to its 10 national digits, or returns null when it cannot be a mobile number.
 */
export function normaliseMobile(input: string): string | null {
  if (input.length > 32) return null;
  let digits = input.replace(/[\s\-().]/g, '');
  if (digits.startsWith('+91')) digits = digits.slice(3);
  else if (digits.length === 12 && digits.startsWith('91')) digits = digits.slice(2);
  else if (digits.length === 11 && digits.startsWith('0')) digits = digits.slice(1);
  return /^[6-9]\d{9}$/.test(digits) ? digits : null;
}
