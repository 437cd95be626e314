/** The canonical form of a web origin ("https://example.com:8443"), or null when the input is not exactly one. */
export function canonicalOrigin(input: string): string | null {
  if (input.length > 300) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  // An origin has no path, query, fragment or credentials: refuse anything that had them.
  return url.origin === input.replace(/\/$/, '') ? url.origin : null;
}
