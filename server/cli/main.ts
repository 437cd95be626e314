import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { type Client, ClientError } from '../clients/clients.ts';
import { SMS_TEXT_MAX_CHARS } from '../clients/sms-safe-text.ts';
import { TEXTS_USAGE, runTextsCommand } from '../clients/texts-cli.ts';
import { loadConfig } from '../config.ts';
import { importCsv } from '../registry/csv-import.ts';
import { CsvHeaderError } from '../registry/csv-rows.ts';
import { syntheticRegistryCsv } from '../registry/synthetic.ts';
import { createLogger } from '../logger.ts';
import { PUBLISH_AHEAD_SECONDS } from '../signing/key-store.ts';
import { openDurableStores } from '../store/open-stores.ts';
import { DB_USAGE, runDbCommand } from '../store/postgres/db-cli.ts';
import { WEBHOOK_USAGE, runWebhooksCommand, updateClientWebhook } from '../webhooks/cli.ts';

const USAGE = `KYC-VS command line (works on KYCVS_DATA_DIR, default ./data, or on PostgreSQL when KYCVS_DATABASE_URL is
set, with the service's KYCVS_KEK; safe while the server runs)

  registry import FILE.csv            import beneficiaries (header: beneficiary_id,mobile,name,vaccine,doses,last_dose_date)
  registry import --bulk FILE.csv     the same, faster for large files: all rows are staged, then written in one
                                      transaction at the end. On SQLite it holds the database's write lock for seconds
                                      per million rows (the server's writes time out: run it while the service takes no
                                      traffic); on PostgreSQL (COPY) lookups go on meanwhile, only other imports wait
  registry generate --count N [--seed S] [--out FILE]
                                      write a synthetic registry CSV (stdout without --out)
  registry count                      number of beneficiaries
  clients add --id ID --name NAME --purpose TEXT [--origin URL]... [--widget-sessions]
                                      add a verifier; prints its API key once. It accepts only sessions its
                                      backend creates with its API key, unless --widget-sessions: then also
                                      keyless sessions the widget makes on an allowed origin (a public client:
                                      anyone can present its id and origin). Name and purpose are printed in
                                      the SMS in the verifier's name: ${SMS_TEXT_MAX_CHARS} characters at most, one line, no
                                      control or invisible formatting character, no number of 4+ digits (spaced or not)
  clients list                        verifiers, their status, sessions accepted (backend | backend+widget), origins
  clients update ID [--name NAME] [--purpose TEXT] [--origin URL]... [--backend-sessions-only | --widget-sessions]
  clients disable ID | clients enable ID
  clients rotate-key ID [--revoke-others]
                                      issue a new API key (printed once)
  clients keys ID                     key ids and their state
  clients revoke-key ID KEY_ID
${TEXTS_USAGE}
  keys rotate [--now]                 new signing key, published at once, signing a minute later (--now: at once,
                                      for a compromised key); the old public key stays published until its tokens expire
  keys list                           published signing keys
${WEBHOOK_USAGE}
${DB_USAGE}`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      id: { type: 'string' },
      name: { type: 'string' },
      purpose: { type: 'string' },
      origin: { type: 'string', multiple: true },
      'revoke-others': { type: 'boolean' },
      'widget-sessions': { type: 'boolean' },
      'backend-sessions-only': { type: 'boolean' },
      webhook: { type: 'string' },
      'no-webhook': { type: 'boolean' },
      client: { type: 'string' },
      status: { type: 'string' },
      now: { type: 'boolean' },
      bulk: { type: 'boolean' },
      lang: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, command, ...args] = positionals;
  if (values.help || !group) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();

  if (group === 'registry' && command === 'generate') {
    const count = wholeNumber(values.count, '--count');
    const lines = Readable.from(syntheticRegistryCsv(count, values.seed ? wholeNumber(values.seed, '--seed') : 1));
    await pipeline(lines, values.out ? fs.createWriteStream(values.out) : process.stdout);
    return 0;
  }

  // PostgreSQL's schema: needs neither the data dir's secrets nor its SQLite file.
  if (group === 'db') return runDbCommand(command, args, config, console.log, console.error);

  // The durable stores the service uses: the data dir's SQLite file, or PostgreSQL (KYCVS_DATABASE_URL).
  const stores = await openDurableStores(config, createLogger('warn'));
  try {
    if (group === 'keys') {
      const keys = stores.keys;
      if (command === 'rotate') {
        const immediate = values.now === true;
        const kid = await keys.rotate({ immediate });
        const when = immediate ? 'now' : `in ${PUBLISH_AHEAD_SECONDS} s (published already, so verifiers' caches have it)`;
        console.log(`new signing key ${kid}: signs ${when}; the previous key stays published until its tokens expire`);
        return 0;
      }
      if (command === 'list') {
        for (const jwk of await keys.publicKeys()) console.log(jwk.kid);
        return 0;
      }
      throw new UsageError(`unknown keys command "${command ?? ''}"`);
    }
    if (group === 'registry') {
      const registry = stores.registry;
      if (command === 'count') {
        console.log(await registry.count());
        return 0;
      }
      if (command === 'import') {
        const file = args[0];
        if (!file) throw new UsageError('registry import needs a CSV file');
        const report = await importCsv(fs.createReadStream(file), registry, {
          bulk: values.bulk === true,
          onReject: (r) => console.error(`line ${r.line}: ${r.reason}`),
        });
        const rate = report.seconds > 0 ? Math.round(report.rowsRead / report.seconds) : report.rowsRead;
        console.log(
          `read ${report.rowsRead} rows: imported ${report.imported}, rejected ${report.rejected} (${report.seconds.toFixed(2)} s, ${rate} rows/s)`,
        );
        return 0;
      }
    }
    if (group === 'clients') {
      const clients = stores.clients;
      const id = command === 'add' ? values.id : args[0];
      switch (command) {
        case 'add': {
          if (!values.id || !values.name || !values.purpose) throw new UsageError('clients add needs --id, --name and --purpose');
          const { apiKey } = await clients.create({
            id: values.id,
            name: values.name,
            purpose: values.purpose,
            allowedOrigins: values.origin ?? [],
            widgetSessions: sessionsFlag(values) ?? false,
          });
          console.log(`client ${values.id} added.\nAPI key (shown once, store it now): ${apiKey}`);
          return 0;
        }
        case 'list':
          for (const c of await clients.list()) {
            console.log(`${c.id}\t${c.status}\t${sessionsAccepted(c)}\t${c.name}\t${c.allowedOrigins.join(' ') || '(server-to-server only)'}\t${c.webhookUrl ? `webhook ${c.webhookUrl}` : 'no webhook'}`);
          }
          return 0;
        case 'update': {
          const changes = {
            ...(values.name !== undefined && { name: values.name }),
            ...(values.purpose !== undefined && { purpose: values.purpose }),
            ...(values.origin !== undefined && { allowedOrigins: values.origin }),
            ...(sessionsFlag(values) !== undefined && { widgetSessions: sessionsFlag(values) }),
          };
          if (values.webhook !== undefined && values['no-webhook']) throw new UsageError('give --webhook URL or --no-webhook, not both');
          // The webhook first: a refused URL leaves the client unchanged.
          const webhook = values.webhook !== undefined || values['no-webhook'] ? await updateClientWebhook(clients, requireId(id), values.webhook ?? null, config) : [];
          const c = await clients.update(requireId(id), changes);
          console.log(`client ${c.id} updated: sessions ${sessionsAccepted(c)}; origins ${c.allowedOrigins.join(' ') || '(none)'}`);
          for (const line of webhook) console.log(line);
          return 0;
        }
        case 'disable':
        case 'enable':
          await clients.setStatus(requireId(id), command === 'disable' ? 'disabled' : 'active');
          console.log(`client ${id} ${command}d`);
          return 0;
        case 'rotate-key': {
          const apiKey = await clients.rotateKey(requireId(id), { revokeOthers: values['revoke-others'] === true });
          console.log(`new API key for ${id} (shown once): ${apiKey}`);
          return 0;
        }
        case 'keys':
          for (const k of await clients.keys(requireId(id))) {
            console.log(`${k.id}\tcreated ${new Date(k.createdAt).toISOString()}\t${k.revokedAt ? 'revoked' : 'active'}`);
          }
          return 0;
        case 'revoke-key':
          if (!args[1]) throw new UsageError('clients revoke-key needs ID KEY_ID');
          await clients.revokeKey(requireId(id), args[1]);
          console.log(`key ${args[1]} revoked`);
          return 0;
        case 'texts':
          for (const line of await runTextsCommand(args[0], args[1], values, { clients, texts: stores.clientTexts }, config.issuer, (m) => new UsageError(m))) console.log(line);
          return 0;
      }
    }
    if (group === 'webhooks') {
      for (const line of await runWebhooksCommand(command, args, values, stores.webhookEvents, config, (m) => new UsageError(m))) console.log(line);
      return 0;
    }
    throw new UsageError(`unknown command "${[group, command].filter(Boolean).join(' ')}"`);
  } finally {
    await stores.close();
  }
}

/** --widget-sessions → true, --backend-sessions-only → false, neither → undefined (unchanged; false for a new client). */
function sessionsFlag(values: { 'widget-sessions'?: boolean; 'backend-sessions-only'?: boolean }): boolean | undefined {
  const widget = values['widget-sessions'] === true;
  const backendOnly = values['backend-sessions-only'] === true;
  if (widget && backendOnly) throw new UsageError('give --widget-sessions or --backend-sessions-only, not both');
  return widget ? true : backendOnly ? false : undefined;
}

function sessionsAccepted(client: Client): string {
  return client.widgetSessions ? 'backend+widget' : 'backend';
}

function requireId(id: string | undefined): string {
  if (!id) throw new UsageError('a client id is required');
  return id;
}

function wholeNumber(raw: string | undefined, flag: string): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a whole number`);
  return n;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (err instanceof ClientError || err instanceof CsvHeaderError) {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
