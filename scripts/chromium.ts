// Where the browser tests find Chromium. Playwright's own browser download does not work here
// (and should not be needed): we use Debian's chromium package.
import { existsSync } from 'node:fs';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** $CHROMIUM_PATH, else Debian's /usr/bin/chromium (which may not be installed yet). */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
}

export function chromiumInstalled(): boolean {
  return existsSync(chromiumPath());
}

/**
 * Headless flags for a sandboxless root container: no GPU, and none of Chromium's background
 * calls home, which a closed network refuses many at a time.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
