// `npm run test:e2e` runs this first: Chromium from $CHROMIUM_PATH or /usr/bin/chromium, else
// Debian's package when we are root, else a one-line instruction and a failing exit code.
import { execFileSync } from 'node:child_process';
import { chromiumInstalled, chromiumPath } from './chromium.ts';

if (!chromiumInstalled()) {
  if (process.env.CHROMIUM_PATH) {
    console.error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist: point it at a Chromium binary.`);
    process.exit(1);
  }
  if (process.getuid?.() !== 0) {
    console.error('Chromium not found: run `sudo apt-get install -y chromium` or set CHROMIUM_PATH to a Chromium binary.');
    process.exit(1);
  }
  console.log('Installing Debian chromium for the browser tests…');
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!chromiumInstalled()) {
    console.error(`apt-get installed chromium but ${chromiumPath()} is missing: set CHROMIUM_PATH.`);
    process.exit(1);
  }
}
console.log(`Chromium: ${chromiumPath()}`);
