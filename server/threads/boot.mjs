// Entry of the service's TypeScript worker threads. Node 20 does not carry the main thread's
// TypeScript loader (tsx) into worker threads, so the worker registers it, then runs the module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
