// Entry of the bulk import's parsing thread. Node 20 does not carry the main thread's TypeScript
// loader (tsx) into worker threads, so the worker registers it, then runs the TypeScript module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
