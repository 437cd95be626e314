import path from 'node:path';
import { Readable } from 'node:stream';
import { SqliteClientStore } from '../../server/clients/clients.ts';
import { importCsv } from '../../server/registry/csv-import.ts';
import { parseCsvLine } from '../../server/registry/csv.ts';
import { SqliteRegistryAdmin } from '../../server/registry/registry-admin.ts';
import { syntheticRegistryCsv } from '../../server/registry/synthetic.ts';
import { DATABASE_FILE } from '../../server/services.ts';
import { openDatabase } from '../../server/store/database.ts';
import { loadSecrets } from '../../server/store/secrets.ts';

/** A registered citizen the load generator can verify: the name matches the record on that mobile. */
export interface Person {
  mobile: string;
  name: string;
}

export interface FlowFixture {
  dataDir: string;
  clientId: string;
  apiKey: string;
  /** Allowlisted for widget-mode sessions. */
  origin: string;
  people: Person[];
}

export const BENCH_CLIENT_ID = 'bench-railway';
export const REGISTRY_SEED = 1;

/**
 * One person per synthetic household (mobile shared by up to four beneficiaries): the first
 * beneficiary on each mobile, whose name is on the record, so every flow is a real match.
 */
export function syntheticPeople(rows: number, seed = REGISTRY_SEED): Person[] {
  const people: Person[] = [];
  let lineNo = 0;
  for (const chunk of syntheticRegistryCsv(rows, seed)) {
    for (const line of chunk.split('\n')) {
      if (line === '' || lineNo++ === 0) continue;
      const i = lineNo - 2;
      if (i % 4 !== 0) continue;
      const fields = parseCsvLine(line);
      if (!fields) throw new Error(`synthetic registry line ${lineNo} does not parse`);
      people.push({ mobile: fields[1]!, name: fields[2]! });
    }
  }
  return people;
}

/**
 * A data dir as an operator would set it up: a synthetic registry imported through the CSV
 * importer, and one verifier (API key for server-to-server, an allowlisted origin for the widget).
 */
export async function prepareFlowFixture(dataDir: string, rows: number, origins: string[]): Promise<FlowFixture> {
  const secrets = loadSecrets(dataDir);
  const db = openDatabase(path.join(dataDir, DATABASE_FILE));
  try {
    const registry = new SqliteRegistryAdmin(db, secrets.mobileKey);
    const report = await importCsv(Readable.from(syntheticRegistryCsv(rows, REGISTRY_SEED)), registry);
    if (report.imported !== rows) throw new Error(`fixture import: ${report.imported} of ${rows} rows imported`);
    const clients = new SqliteClientStore(db, secrets.apiKeyKey);
    const { apiKey } = await clients.create({
      id: BENCH_CLIENT_ID,
      name: 'Bench Railways',
      purpose: 'Boarding a train (benchmark)',
      allowedOrigins: origins,
      // The bench's widget flows make keyless sessions (a public client), as the widget does.
      widgetSessions: true,
    });
    return { dataDir, clientId: BENCH_CLIENT_ID, apiKey, origin: origins[0]!, people: syntheticPeople(rows) };
  } finally {
    db.close();
  }
}
