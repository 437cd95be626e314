/** Ten digits starting 6–9, from what people type: spaces, dashes, a +91 or 0 prefix. Null when not a mobile. */
export function normaliseMobile(input: string): string | null {
  const digits = input.replace(/[\s()-]/g, '').replace(/^(\+?91|0)(?=\d{10}$)/, '');
  return /^[6-9]\d{9}$/.test(digits) ? digits : null;
}

/** "+91 98765 43210": easy to check at a glance for a typo. */
export function formatMobile(mobile: string): string {
  return `+91 ${mobile.slice(0, 5)} ${mobile.slice(5)}`;
}
