import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * For a service's long-lived helper threads (SMS sender, WAL checkpointer): each does a little work
 * at a time, so a young generation of 4 MB is plenty. In the bench's memory module the service ended
 * 110,000 flows at 226 MB resident with V8's default young generation in these threads, 205 MB with this.
 */
export const HELPER_THREAD_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 4 };

/** Plain-JS bundles of worker modules, made once per module per process. */
const bundles = new Map<string, string>();

/**
 * Starts `module` (a TypeScript file) on a worker thread; it reads `data` as `workerData.data`.
 * `resourceLimits` as Node's Worker takes them (none: V8's defaults).
 *
 * The thread runs plain JavaScript: the module and everything it imports, bundled into one
 * CommonJS script by esbuild (a dependency of its own; tsx and Vite run the same compiler), once per
 * module per process (~60 ms, when the service starts). Node 20 does not carry the main thread's
 * loader into worker threads, and a thread that registered tsx again paid for its own copy of the
 * loader and for the loader's hooks thread: ~29 MB more resident memory per thread than the
 * thread alone (~11 MB). Worker modules import node built-ins and project files only: a package
 * would be bundled in with them, and a native addon fails here, at start, not in the thread.
 */
export function startTsWorker(module: URL, data?: unknown, resourceLimits?: ResourceLimits): Worker {
  let code = bundles.get(module.href);
  if (code === undefined) {
    // The binary directly: esbuild's synchronous JS API would start (and keep) a thread of its own.
    const esbuild = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
    const args = [fileURLToPath(module), '--bundle', '--platform=node', '--format=cjs', '--target=node20', '--log-level=error'];
    code = execFileSync(esbuild, args, { encoding: 'utf8' });
    bundles.set(module.href, code);
  }
  return new Worker(code, { eval: true, workerData: { data }, resourceLimits });
}
