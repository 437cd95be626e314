// `npm start`: the KYC-VS service in demo mode and the demo host on another origin, side by side.
// Builds nothing itself (npm start runs `npm run build` first).
import { loadConfig } from '../server/config.ts';
import { startServer } from '../server/server.ts';
import { startDemoHost } from '../demo-host/server.ts';

const config = loadConfig({ ...process.env, KYCVS_DEMO: '1' });
// Two origins, as in production: the service on localhost, the host site on 127.0.0.1.
const serviceUrl = `http://localhost:${config.port}`;
const service = await startServer(config);
// The railway's backend takes signed session events: a fresh signing secret on every start, handed
// to the demo host directly (a real verifier stores the one `clients update --webhook` prints).
const railwayWebhook = `http://127.0.0.1:${config.demoPort}/api/railway/webhook`;
const railwayWebhookSecret = (await service.services.clients.setWebhook('demo-railway', railwayWebhook, { demo: true }))!;
const demo = await startDemoHost({
  port: config.demoPort,
  host: '127.0.0.1',
  service: { url: serviceUrl, issuer: config.issuer },
  apiKeys: config.demoApiKeys,
  railwayWebhookSecret,
});

console.log(`KYC-VS service (demo mode): ${serviceUrl}`);
console.log(`Demo host site:             ${demo.url}  (railway: ${demo.url}/railway, hotel: ${demo.url}/hotel)`);
console.log(`Employer dashboard:         ${demo.url}/employer  (verification links: the check on KYC-VS's own page)`);
console.log(`Railway webhook:            ${railwayWebhook}  (signed session events, shown on the railway page)`);

const stop = async () => {
  await Promise.all([demo.close(), service.close()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
