import type { Config } from '../config.ts';
import type { ClientStore, NewClient } from './clients.ts';

/**
 * The two demo verifiers; their allowed origins follow DEMO_PORT so the demo runs on any port pair.
 * The railway's page has its backend create each session (the recommended mode), so it accepts
 * nothing else; the hotel's page embeds the no-code button with no backend session, so it opts in
 * to keyless widget sessions. Set on every start, so a data dir from an older version follows.
 */
export async function seedDemoClients(clients: ClientStore, config: Config): Promise<void> {
  const origins = [`http://localhost:${config.demoPort}`, `http://127.0.0.1:${config.demoPort}`];
  const demo: [NewClient, string][] = [
    [
      {
        id: 'demo-railway',
        name: 'Demo Railways',
        purpose: 'Boarding a train: travel rules ask for vaccination status',
        allowedOrigins: origins,
        widgetSessions: false,
      },
      config.demoApiKeys.railway,
    ],
    [{ id: 'demo-hotel', name: 'Demo Hotel', purpose: 'Hotel check-in', allowedOrigins: origins, widgetSessions: true }, config.demoApiKeys.hotel],
  ];
  for (const [client, apiKey] of demo) {
    const { id, ...rest } = client;
    if (await clients.get(id)) await clients.update(id, rest);
    else await clients.create(client);
    await clients.ensureKey(id, apiKey);
  }
}
