// `npm run build:server`: the service as one plain-JavaScript module, dist/server/main.js.
//
// Why: under tsx the process carries the TypeScript loader and its hooks thread for its whole
// life (~32 MB resident, plus the loader's copy of each transformed module); `node
// dist/server/main.js` starts at what the service itself needs. Packages stay in node_modules
// (imported at run time, native addons included); only the project's own modules are bundled.
import { readFile } from 'node:fs/promises';
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

/** Bundles `entry` (a TypeScript file of this repository) into `outfile` as an ES module. */
export async function bundleServerEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'error',
    plugins: [ownModuleUrl(path.dirname(outfile))],
  });
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
