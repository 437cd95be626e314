// `npm run build:server`: the service as plain JavaScript, dist/server/main.js and the chunks it loads.
//
// Why: under tsx the process carries the TypeScript loader and its hooks thread for its whole
// life (~32 MB resident, plus the loader's copy of each transformed module); `node
// dist/server/main.js` starts at what the service itself needs. Packages stay in node_modules
// (imported at run time, native addons included); only the project's own modules are bundled.
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Plugin, build } from 'esbuild';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Each module keeps its own `import.meta.url`: the widget routes, the migrations and the worker
 * threads find files next to their source (dist/widget, migrations/*.sql, the thread modules).
 * The URL is rebuilt relative to the bundle, so the checkout can move as a whole.
 */
function ownModuleUrl(outDir: string): Plugin {
  return {
    name: 'own-module-url',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const relative = path.relative(outDir, args.path).split(path.sep).join('/');
        const url = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

const CHUNK_NAME = /-[A-Z0-9]{8}\.js(\.map)?$/;

/**
 * Bundles `entry` (a TypeScript file of this repository) into `outfile` as an ES module. What the
 * source imports dynamically (the PostgreSQL and Redis stores) goes into chunks beside it, so a
 * process loads them, and their packages, only when configured to use them.
 */
export async function bundleServerEntry(entry: string, outfile: string): Promise<void> {
  const outdir = path.dirname(outfile);
  const result = await build({
    entryPoints: { [path.basename(outfile, '.js')]: entry },
    outdir,
    // Beside the entry, not in a folder of their own: each module's rewritten import.meta.url above is relative to `outdir`.
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
    plugins: [ownModuleUrl(outdir)],
  });
  // Chunks of earlier builds: their names carry a content hash, so nothing else clears them.
  const made = new Set(Object.keys(result.metafile.outputs).map((file) => path.resolve(file)));
  for (const name of await readdir(outdir)) {
    const file = path.join(outdir, name);
    if (CHUNK_NAME.test(name) && !made.has(file)) await rm(file, { force: true });
  }
}

export const SERVER_BUNDLE = path.join(REPO_ROOT, 'dist/server/main.js');

const madeHere = new Map<string, Promise<string>>();
/** `outfile`, bundled from `entry` once per process (tests and benches start the current source, not an older build). */
export function bundleOnce(entry: string, outfile: string): Promise<string> {
  let made = madeHere.get(outfile);
  if (!made) {
    made = bundleServerEntry(entry, outfile).then(() => outfile);
    madeHere.set(outfile, made);
  }
  return made;
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  await bundleServerEntry(path.join(REPO_ROOT, 'server/main.ts'), SERVER_BUNDLE);
  console.log(`built ${path.relative(REPO_ROOT, SERVER_BUNDLE)}`);
}
