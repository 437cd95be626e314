import { loadConfig } from './config.ts';
import { startServer } from './server.ts';

/** `tsx server/main.ts`: the service alone, configured from the environment. */
const config = loadConfig();
const running = await startServer(config);
running.services.log.info({ url: running.url, issuer: config.issuer, demo: config.demo }, 'KYC-VS listening');
console.log(`KYC-VS service: ${running.url}  (issuer ${config.issuer}${config.demo ? ', demo mode' : ''})`);
// Said at every start, so no operator believes their data is in PostgreSQL before the store exists.
if (config.postgres.url) {
  running.services.log.warn('KYCVS_DATABASE_URL is set, but only `db migrate` uses it so far: this process stores everything in the SQLite file in KYCVS_DATA_DIR');
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    running.services.log.info({ signal }, 'shutting down: draining requests');
    void running.close().then(() => process.exit(0));
  });
}
