import { Worker } from 'node:worker_threads';

/** Starts `module` (a TypeScript file) on a worker thread; it reads `data` as `workerData.data`. */
export function startTsWorker(module: URL, data?: unknown): Worker {
  return new Worker(new URL('./boot.mjs', import.meta.url), { workerData: { entry: module.href, data } });
}
