// Prints the gzipped size of what a citizen's browser downloads, and fails when the loader
// outgrows its budget (a host page pays for embed.js on every load, verified or not).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const DIST = new URL('../dist/', import.meta.url).pathname;
const LOADER_BUDGET = 3 * 1024;

const gzipped = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

const loader = gzipped(join(DIST, 'embed.js'));
const assets = join(DIST, 'widget', 'assets');
const frameFiles = ['index.html', ...readdirSync(assets).map((f) => join('assets', f))];
const sizes = frameFiles.map((f) => [f, gzipped(join(DIST, 'widget', f))] as const);
// Translations load on demand: only the catalog of the citizen's language is fetched.
const lazy = sizes.filter(([f]) => /\/(hi)-[\w-]+\.js$/.test(f));
const eager = sizes.filter((entry) => !lazy.includes(entry));
const sum = (list: (readonly [string, number])[]) => list.reduce((n, [, size]) => n + size, 0);

console.log(`loader  embed.js                 ${loader} B gzipped (budget ${LOADER_BUDGET} B)`);
for (const [file, size] of sizes) console.log(`frame   ${file.padEnd(24)} ${size} B gzipped${lazy.some(([f]) => f === file) ? ' (on demand)' : ''}`);
console.log(`frame   total on first load      ${sum(eager)} B gzipped (+${sum(lazy)} B for Hindi)`);

if (loader > LOADER_BUDGET) {
  console.error(`embed.js is ${loader} B gzipped, over its ${LOADER_BUDGET} B budget`);
  process.exit(1);
}
