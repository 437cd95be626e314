import type { Config } from '../config.ts';
import type { ClientText, ClientTexts } from './client-texts.ts';
import { ClientError, type ClientStore, type NewClient } from './clients.ts';

/**
 * The three demo verifiers; their allowed origins follow DEMO_PORT so the demo runs on any port pair.
 * The railway's page has its backend create each session (the recommended mode), so it accepts
 * nothing else; the hotel's page embeds the no-code button with no backend session, so it opts in
 * to keyless widget sessions. Set on every start, so a data dir from an older version follows.
 * Idempotent also when several processes start at once on one database: the same rows, no error.
 */
export async function seedDemoClients(clients: ClientStore, config: Config): Promise<void> {
  const origins = [`http://localhost:${config.demoPort}`, `http://127.0.0.1:${config.demoPort}`];
  const demo: [NewClient, string][] = [
    [
      {
        id: 'demo-railway',
        name: 'Demo Railways',
        // Short: it is printed in every SMS, and a Unicode SMS in an Indian language has 67 characters a part.
        purpose: 'Boarding a train',
        allowedOrigins: origins,
        widgetSessions: false,
      },
      config.demoApiKeys.railway,
    ],
    [{ id: 'demo-hotel', name: 'Demo Hotel', purpose: 'Hotel check-in', allowedOrigins: origins, widgetSessions: true }, config.demoApiKeys.hotel],
    // No page embeds its check: its backend makes each session and sends the employee the link.
    [
      {
        id: 'demo-employer',
        name: 'Demo Employer',
        purpose: 'Joining work', // short, as the railway's: printed in every SMS
        allowedOrigins: origins,
        widgetSessions: false,
      },
      config.demoApiKeys.employer,
    ],
  ];
  for (const [client, apiKey] of demo) {
    await createOrUpdate(clients, client);
    await clients.ensureKey(client.id, apiKey);
  }
}

async function createOrUpdate(clients: ClientStore, client: NewClient): Promise<void> {
  const { id, ...rest } = client;
  if (!(await clients.get(id))) {
    try {
      await clients.create(client);
      return;
    } catch (err) {
      // Another process starting at the same moment created it first: set ours, as on a later start.
      if (!(err instanceof ClientError && err.code === 'client_exists')) throw err;
    }
  }
  await clients.update(id, rest);
}

/** The demo verifiers' names and purposes in Hindi (set on every start, like the clients). */
const DEMO_TEXTS: Record<string, ClientText[]> = {
  'demo-railway': [{ lang: 'hi', name: 'डेमो रेलवे', purpose: 'ट्रेन में सवार होना' }],
  'demo-hotel': [{ lang: 'hi', name: 'डेमो होटल', purpose: 'होटल में चेक-इन' }],
  'demo-employer': [{ lang: 'hi', name: 'डेमो नियोक्ता', purpose: 'नौकरी में शामिल होना' }],
};

export async function seedDemoClientTexts(texts: ClientTexts): Promise<void> {
  for (const [clientId, list] of Object.entries(DEMO_TEXTS)) {
    for (const { lang, name, purpose } of list) await texts.set(clientId, lang, { name, purpose });
  }
}
