import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { HELPER_THREAD_LIMITS } from '../threads/ts-worker.ts';
import type { Db } from './database.ts';

/**
 * How often the worker copies the WAL back into the database file. A page written many times in
 * between is copied once: every 100 ms the worker used 38 µs of CPU per flow request, every 1 s
 * 12 µs (per-thread CPU under the flows bench's load); the WAL then holds about a second of writes.
 */
export const CHECKPOINT_INTERVAL_MS = 1000;
/** SQLite's own default, restored on the service's connection if the worker dies. */
const AUTO_CHECKPOINT_PAGES = 1000;

// Plain CommonJS run with `eval`, so it needs no TypeScript loader whatever runs the service.
// PASSIVE never waits for (or blocks) the service's writers and readers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = NORMAL');
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints the WAL on a worker thread. SQLite's automatic checkpoint runs inside whichever
 * commit crosses 1000 pages — on the event loop, copying ~4 MB and syncing while every request
 * waits (the bench saw stalls of 7 ms). With this running, the service's connection never
 * checkpoints; the worker's own connection does, on the other core.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #exited: Promise<void>;
  #stopping = false;
  #fellBack = false;

  constructor(db: Db, log: Logger, intervalMs = CHECKPOINT_INTERVAL_MS) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: db.name, intervalMs }, resourceLimits: HELPER_THREAD_LIMITS });
    // A WAL nobody checkpoints grows without end: if the worker dies, the connection checkpoints again.
    const fallBack = (reason: unknown) => {
      if (this.#stopping || this.#fellBack) return;
      this.#fellBack = true;
      db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
      log.warn({ err: reason }, 'WAL checkpoint worker stopped; checkpointing on the main thread');
    };
    this.#worker.on('error', fallBack);
    this.#exited = new Promise<void>((resolve) =>
      this.#worker.once('exit', (code) => {
        if (code !== 0) fallBack(new Error(`checkpoint worker exited with code ${code}`));
        resolve();
      }),
    );
  }

  /** Runs a last checkpoint and closes the worker's connection (before the service closes its own). */
  async stop(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      this.#worker.postMessage('stop');
    }
    await this.#exited;
  }
}
