// Demo seeding runs on every start of every process: three processes starting at once on one
// PostgreSQL make the same rows as one process alone, and none of them fails.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { loadConfig } from '../config.ts';
import { query, type Pool } from '../store/postgres/pool.ts';
import { seedDemoClients, seedDemoClientTexts } from './demo-clients.ts';
import { PostgresClientStore } from './postgres-client-store.ts';
import { PostgresClientTexts } from './postgres-client-texts.ts';

const API_KEY_KEY = Buffer.alloc(32, 5);
const config = loadConfig({ DEMO_PORT: '8097' });

async function startProcess(pool: Pool): Promise<void> {
  await seedDemoClients(new PostgresClientStore(pool, API_KEY_KEY), config);
  await seedDemoClientTexts(new PostgresClientTexts(pool));
}

/** What seeding leaves, without the parts that differ by run (times, random key ids and hashes). */
async function contents(pool: Pool) {
  const clients = await query(pool, 'SELECT id, name, purpose, allowed_origins, widget_sessions, status FROM clients ORDER BY id');
  const keys = await query(pool, 'SELECT client_id, count(*)::int AS n, count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM api_keys GROUP BY client_id ORDER BY client_id');
  const texts = await query(pool, 'SELECT * FROM client_texts ORDER BY client_id, lang');
  return { clients: clients.rows, keys: keys.rows, texts: texts.rows };
}

describe('demo seeding on PostgreSQL', () => {
  test('3 processes seeding at once (3 pools): no error, the same rows as one process alone; again on restart', async () => {
    const alone = await createTestDatabase();
    await startProcess(alone.pool);
    const expected = await contents(alone.pool);
    assert.equal(expected.clients.length, 3);
    assert.equal(expected.texts.length, 3);

    const shared = await createTestDatabase();
    const pools = [shared.pool, shared.newPool(), shared.newPool()];
    await Promise.all(pools.map(startProcess));
    assert.deepEqual(await contents(shared.pool), expected);
    await Promise.all(pools.map(startProcess));
    assert.deepEqual(await contents(shared.pool), expected, 'a restart of all three changes nothing');

    const store = new PostgresClientStore(pools[2]!, API_KEY_KEY);
    for (const [id, key] of [['demo-railway', config.demoApiKeys.railway], ['demo-hotel', config.demoApiKeys.hotel], ['demo-employer', config.demoApiKeys.employer]] as const) {
      assert.equal((await store.authenticate(key))?.id, id);
    }
  });
});
