// Prints the gzipped size of what a citizen's browser downloads, and fails when the loader
// outgrows its budget (a host page pays for embed.js on every load, verified or not), the frame's
// first load with one language outgrows 30 KB, or a language's chunk 3 KB.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LANG_CODES } from '../protocol/languages.ts';

const DIST = new URL('../dist/', import.meta.url).pathname;
const LOADER_BUDGET = 2048; // issue 12's target (bench/widget.ts LOADER_TARGET_BYTES)
/** The frame page, its script and style, and one language's catalog (issue 10). */
const FRAME_BUDGET = 30 * 1024;
/** Each further language's catalog chunk. */
const LANGUAGE_BUDGET = 3 * 1024;

const gzipped = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

const loader = gzipped(join(DIST, 'embed.js'));
const assets = join(DIST, 'widget', 'assets');
const frameFiles = ['index.html', ...readdirSync(assets).map((f) => join('assets', f))];
const sizes = frameFiles.map((f) => [f, gzipped(join(DIST, 'widget', f))] as const);
// Translations load on demand, each its own chunk (widget/i18n/index.ts): a citizen fetches the
// frame (with English) and at most the one catalog of their language.
const LANGUAGE_CHUNK = new RegExp(`/(${LANG_CODES.filter((c) => c !== 'en').join('|')})-[\\w-]+\\.js$`);
const lazy = sizes.filter(([f]) => LANGUAGE_CHUNK.test(f));
const eager = sizes.filter((entry) => !lazy.includes(entry));
const sum = (list: (readonly [string, number])[]) => list.reduce((n, [, size]) => n + size, 0);
const largestLanguage = Math.max(0, ...lazy.map(([, size]) => size));
const firstLoad = sum(eager) + largestLanguage;

console.log(`loader  embed.js                 ${loader} B gzipped (budget ${LOADER_BUDGET} B)`);
for (const [file, size] of sizes) {
  const language = LANGUAGE_CHUNK.exec(file)?.[1];
  console.log(`frame   ${file.padEnd(24)} ${size} B gzipped${language ? ` (${language}, on demand; budget ${LANGUAGE_BUDGET} B)` : ''}`);
}
console.log(`frame   first load, one language  ${firstLoad} B gzipped (${sum(eager)} B with English, +${largestLanguage} B for the largest other language; budget ${FRAME_BUDGET} B)`);

const failures: string[] = [];
if (loader > LOADER_BUDGET) failures.push(`embed.js is ${loader} B gzipped, over its ${LOADER_BUDGET} B budget`);
if (firstLoad > FRAME_BUDGET) failures.push(`the frame's first load with one language is ${firstLoad} B gzipped, over its ${FRAME_BUDGET} B budget`);
for (const [file, size] of lazy) {
  if (size > LANGUAGE_BUDGET) failures.push(`${file} is ${size} B gzipped, over the ${LANGUAGE_BUDGET} B budget of a further language`);
}
for (const failure of failures) console.error(failure);
if (failures.length) process.exit(1);
