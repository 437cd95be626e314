import { isClusterPrimary, isClusterWorker, reportReady, runPrimary } from './cluster.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

/** `tsx server/main.ts`: the service, configured from the environment (KYCVS_WORKERS > 1: that many processes). */
const config = loadConfig();
const banner = (url: string) =>
  `KYC-VS service: ${url}  (issuer ${config.issuer}${config.demo ? ', demo mode' : ''}${config.workers > 1 ? `, ${config.workers} processes` : ''})`;

if (isClusterPrimary(config)) {
  const log = createLogger(config.logLevel).child({ role: 'primary' });
  await runPrimary(config, log, (url) => console.log(banner(url)));
} else {
  const running = await startServer(config);
  running.services.log.info({ url: running.url, issuer: config.issuer, demo: config.demo, pid: process.pid }, 'KYC-VS listening');
  if (isClusterWorker()) reportReady(running.url);
  else console.log(banner(running.url));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      running.services.log.info({ signal }, 'shutting down: draining requests');
      void running.close().then(() => process.exit(0));
    });
  }
}
