// The `webhooks` commands and the webhook flags of `clients update` (server/cli/main.ts calls these).
import type { ClientStore } from '../clients/clients.ts';
import { ClientError } from '../clients/clients.ts';
import type { Config } from '../config.ts';
import { webhookUrlProblem } from './address-policy.ts';
import { EVENT_STATES, type EventState, type WebhookEventStore } from './event-store.ts';

export const WEBHOOK_USAGE = `  clients update ID --webhook URL     POST session events to URL, signed (Standard Webhooks); prints the new signing
                                      secret once (the previous one keeps signing for a day). Production: https only,
                                      and not to a private, loopback, link-local, CGNAT, multicast or unspecified address
  clients update ID --no-webhook      stop sending events to this client
  webhooks list [--client ID] [--status pending|delivered|failed]
                                      the newest 100 events: id, type, client, session, status, attempts, last result
  webhooks attempts EVENT_ID          every delivery attempt of one event: time, status code or error, duration
  webhooks replay EVENT_ID            queue an event again (same id and body), retried for another day`;

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/**
 * `--webhook URL` / `--no-webhook` on `clients update`. The URL is refused here already when a
 * delivery could never go there (scheme, or an address the name resolves to now); the dispatcher
 * checks again at every delivery. Returns the lines to print.
 */
export async function updateClientWebhook(clients: ClientStore, id: string, url: string | null, config: Pick<Config, 'demo'>): Promise<string[]> {
  if (url === null) {
    await clients.setWebhook(id, null, { demo: config.demo });
    return [`client ${id}: webhook removed (pending events to it will fail; replay them after setting one again)`];
  }
  const problem = await webhookUrlProblem(url, { demo: config.demo });
  if (problem) throw new ClientError('client_invalid', `webhook URL refused: ${problem}`);
  const secret = await clients.setWebhook(id, url, { demo: config.demo });
  return [
    `client ${id}: webhook ${url}`,
    `signing secret (shown once, store it now; verify webhook-signature with it): ${secret}`,
  ];
}

/**
 * `webhooks list|attempts|replay` on the outbox of whichever store the service runs on (SQLite file
 * or PostgreSQL: the caller opens `events` as the service does). Returns the lines to print.
 */
export async function runWebhooksCommand(
  command: string | undefined,
  args: string[],
  options: { client?: string; status?: string },
  events: WebhookEventStore,
  config: Pick<Config, 'webhooks'>,
  usage: (message: string) => Error,
): Promise<string[]> {
  switch (command) {
    case 'list': {
      const status = options.status;
      if (status !== undefined && !EVENT_STATES.includes(status as EventState)) throw usage(`--status is one of ${EVENT_STATES.join(', ')}`);
      return (await events.list({ ...(options.client !== undefined && { clientId: options.client }), ...(status !== undefined && { state: status as EventState }) })).map((e) =>
        [
          e.id,
          e.type,
          e.clientId,
          e.sessionId,
          e.state,
          `attempts ${e.attempts}`,
          `created ${iso(e.createdAt)}`,
          e.state === 'pending' ? `next ${iso(e.nextAttemptAt)}` : `${e.state} ${iso(e.finishedAt)}`,
          e.lastResult ?? '-',
        ].join('\t'),
      );
    }
    case 'attempts': {
      const id = args[0];
      if (!id) throw usage('webhooks attempts needs an event id');
      if (!(await events.get(id))) throw new ClientError('client_not_found', `no webhook event "${id}"`);
      return (await events.attempts(id)).map((a) => [`#${a.attempt}`, iso(a.at), a.statusCode ?? '-', a.error ?? 'ok', `${a.durationMs} ms`].join('\t'));
    }
    case 'replay': {
      const id = args[0];
      if (!id) throw usage('webhooks replay needs an event id');
      const outcome = await events.replay(id, Date.now(), config.webhooks.retryForMs);
      if (outcome === null) throw new ClientError('client_not_found', `no webhook event "${id}"`);
      if (outcome === 'busy') throw new ClientError('client_invalid', `event ${id} is being delivered right now; see webhooks attempts ${id}`);
      return [`event ${id} queued again: the running service sends it within a poll (KYCVS_WEBHOOK_POLL_MS)`];
    }
  }
  throw usage(`unknown command "webhooks ${command ?? ''}"`);
}
