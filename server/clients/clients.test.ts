// The verifier registry's contract, run against every ClientStore: SQLite (a real file),
// PostgreSQL (a real database, with a second pool playing a second process), and the in-process
// cache over PostgreSQL (what the service uses there). Which sessions a client accepts, the SMS
// text rule on name and purpose, API keys (rotation, revocation, racing rotations), racing
// creates of one id, and webhook secrets.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { loadConfig } from '../config.ts';
import { query } from '../store/postgres/pool.ts';
import { openDatabase } from '../store/database.ts';
import { CachedClientStore } from './cached-client-store.ts';
import { ClientError, type ClientStore, SqliteClientStore } from './clients.ts';
import { seedDemoClients } from './demo-clients.ts';
import { PostgresClientStore } from './postgres-client-store.ts';

const API_KEY_KEY = Buffer.alloc(32, 7);

interface Implementation {
  name: string;
  clients: ClientStore;
  /** The same registry seen from another connection (another process, for PostgreSQL). */
  other: ClientStore;
  /** Runs SQL that is valid in both dialects straight on the database. */
  exec(sql: string): Promise<void>;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-clients-'));
const sqlite = openDatabase(path.join(dir, 'clients.sqlite'));
const sqliteOther = openDatabase(path.join(dir, 'clients.sqlite'));
after(() => {
  sqlite.close();
  sqliteOther.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function postgres(name: string, wrap: (store: ClientStore) => ClientStore): Promise<Implementation> {
  const db = await createTestDatabase();
  return {
    name,
    clients: wrap(new PostgresClientStore(db.pool, API_KEY_KEY)),
    other: wrap(new PostgresClientStore(db.newPool(), API_KEY_KEY)),
    exec: async (sql) => void (await query(db.pool, sql)),
  };
}

const implementations: Implementation[] = [
  {
    name: 'SQLite',
    clients: new SqliteClientStore(sqlite, API_KEY_KEY),
    other: new SqliteClientStore(sqliteOther, API_KEY_KEY),
    exec: async (sql) => void sqlite.exec(sql),
  },
  await postgres('PostgreSQL', (store) => store),
  await postgres('PostgreSQL behind CachedClientStore', (store) => new CachedClientStore(store)),
];

const base = { name: 'Test Verifier', purpose: 'Testing', allowedOrigins: ['https://verifier.example'] };
const code = (expected: ClientError['code']) => (err: unknown) => err instanceof ClientError && err.code === expected;

for (const impl of implementations) {
  const { clients, other } = impl;

  describe(`${impl.name}: widget sessions (public client) or backend sessions only`, () => {
    test('a new client accepts only backend-made sessions unless it opts in', async () => {
      const { client: plain } = await clients.create({ id: 'ws-default', ...base });
      assert.equal(plain.widgetSessions, false);
      const { client: opted } = await clients.create({ id: 'ws-opted', ...base, widgetSessions: true });
      assert.equal(opted.widgetSessions, true);
      assert.equal((await clients.get('ws-opted'))!.widgetSessions, true, 'read back');
      assert.deepEqual(
        (await clients.list()).filter((c) => c.id.startsWith('ws-')).map((c) => [c.id, c.widgetSessions]),
        [['ws-default', false], ['ws-opted', true]],
      );
    });

    test('update switches it either way, and leaves it alone when not given', async () => {
      await clients.create({ id: 'ws-switch', ...base });
      assert.equal((await clients.update('ws-switch', { widgetSessions: true })).widgetSessions, true);
      assert.equal((await clients.update('ws-switch', { name: 'Renamed Verifier' })).widgetSessions, true, 'unchanged by another change');
      assert.equal((await clients.update('ws-switch', { widgetSessions: false })).widgetSessions, false);
      assert.equal((await clients.update('ws-switch', { purpose: 'Other purpose' })).widgetSessions, false);
    });

    test('a client stored by an older version (no widget_sessions written) keeps accepting widget sessions', async () => {
      await impl.exec("INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at) VALUES ('ws-old', 'Old', 'Old purpose', '[]', 'active', 0)");
      assert.equal((await clients.get('ws-old'))!.widgetSessions, true);
    });

    test('demo clients: the hotel accepts widget sessions, the railway only its backend’s, set on every start', async () => {
      const config = loadConfig({ DEMO_PORT: '8099' });
      await seedDemoClients(clients, config);
      assert.equal((await clients.get('demo-hotel'))!.widgetSessions, true);
      assert.equal((await clients.get('demo-railway'))!.widgetSessions, false);
      // A data dir from before the choice existed (or changed by hand) is put back on the next start.
      await impl.exec("UPDATE clients SET widget_sessions = CASE id WHEN 'demo-railway' THEN TRUE ELSE FALSE END WHERE id LIKE 'demo-%'");
      await seedDemoClients(other, config);
      await seedDemoClients(clients, config);
      assert.equal((await clients.get('demo-hotel'))!.widgetSessions, true);
      assert.equal((await clients.get('demo-railway'))!.widgetSessions, false);
      assert.ok(await clients.authenticate(config.demoApiKeys.railway), 'the demo key works');
    });
  });

  describe(`${impl.name}: name and purpose follow the SMS text rule`, () => {
    const refused = (field: string) => (err: unknown) => err instanceof ClientError && err.code === 'client_invalid' && err.message.startsWith(field);

    test('a name or purpose with a line break, a bidi control, a long number or over 80 characters is refused', async () => {
      for (const bad of ['A\nB', 'A\u202EB', 'Call 1800', 'x'.repeat(81), '  ']) {
        await assert.rejects(clients.create({ id: 'sms-bad', ...base, name: bad }), refused('name'), JSON.stringify(bad));
        await assert.rejects(clients.create({ id: 'sms-bad', ...base, purpose: bad }), refused('purpose'), JSON.stringify(bad));
      }
      await clients.create({ id: 'sms-ok', ...base });
      await assert.rejects(clients.update('sms-ok', { purpose: 'Boarding\nYour OTP is 000000' }), refused('purpose'));
      assert.equal((await clients.get('sms-ok'))!.purpose, 'Testing');
      assert.equal(await clients.get('sms-bad'), null);
    });

    test('the demo clients’ names and purposes pass', async () => {
      await seedDemoClients(clients, loadConfig({}));
      for (const id of ['demo-railway', 'demo-hotel']) assert.ok(await clients.get(id), id);
    });
  });

  describe(`${impl.name}: creating and changing clients`, () => {
    test('create returns the client and a key that authenticates it; ids and origins are checked', async () => {
      const { client, apiKey } = await clients.create({ id: 'cr-one', ...base, allowedOrigins: ['https://a.example', 'http://localhost:3000'] });
      assert.deepEqual({ ...client, createdAt: 0 }, {
        id: 'cr-one',
        name: 'Test Verifier',
        purpose: 'Testing',
        allowedOrigins: ['https://a.example', 'http://localhost:3000'],
        widgetSessions: false,
        status: 'active',
        createdAt: 0,
        webhookUrl: null,
      });
      assert.ok(Math.abs(client.createdAt - Date.now()) < 60_000);
      assert.match(apiKey, /^kvs_[0-9A-Za-z]{40}$/);
      assert.deepEqual(await clients.authenticate(apiKey), client);
      assert.deepEqual(await other.get('cr-one'), client, 'seen from another connection');
      await assert.rejects(clients.create({ id: 'cr-one', ...base }), code('client_exists'));
      await assert.rejects(clients.create({ id: 'Bad_Id', ...base }), code('client_invalid'));
      await assert.rejects(clients.create({ id: 'cr-two', ...base, allowedOrigins: ['https://a.example/path'] }), code('client_invalid'));
      assert.equal(await clients.get('cr-two'), null);
    });

    test('update and setStatus: unknown ids are client_not_found; a disabled client still authenticates (callers check)', async () => {
      await assert.rejects(clients.update('cr-none', { name: 'X Y' }), code('client_not_found'));
      await assert.rejects(clients.setStatus('cr-none', 'disabled'), code('client_not_found'));
      const { apiKey } = await clients.create({ id: 'cr-status', ...base });
      assert.equal((await clients.setStatus('cr-status', 'disabled')).status, 'disabled');
      assert.equal((await clients.get('cr-status'))!.status, 'disabled');
      assert.equal((await clients.authenticate(apiKey))!.status, 'disabled');
      assert.equal((await clients.setStatus('cr-status', 'active')).status, 'active');
      const updated = await clients.update('cr-status', { allowedOrigins: ['https://b.example'] });
      assert.deepEqual(updated.allowedOrigins, ['https://b.example']);
      assert.equal(updated.name, 'Test Verifier');
    });

    test('20 racing creates of one id from two connections: one wins, the others get client_exists', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other : clients).create({ id: 'cr-race', ...base, name: `Racer ${i}` })),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(code('client_exists')(r.reason), String(r.reason));
      const winner = won[0]!.value;
      assert.equal((await clients.get('cr-race'))!.name, winner.client.name);
      assert.equal((await clients.keys('cr-race')).length, 1, 'the losers left no key');
      assert.equal((await clients.authenticate(winner.apiKey))!.id, 'cr-race');
    });

    test('racing updates of different fields from two connections both land', async () => {
      await clients.create({ id: 'cr-upd', ...base });
      await Promise.all([
        clients.update('cr-upd', { name: 'New Name' }),
        other.update('cr-upd', { purpose: 'New purpose' }),
        clients.update('cr-upd', { widgetSessions: true }),
      ]);
      const got = (await clients.get('cr-upd'))!;
      assert.deepEqual([got.name, got.purpose, got.widgetSessions], ['New Name', 'New purpose', true]);
    });
  });

  describe(`${impl.name}: API keys`, () => {
    test('rotate keeps or revokes the others; revoke stops one key at once; keys lists them', async () => {
      const { apiKey: first } = await clients.create({ id: 'key-rot', ...base });
      assert.ok(await clients.authenticate(first), 'cached before the changes');
      const second = await clients.rotateKey('key-rot');
      assert.equal((await clients.authenticate(first))!.id, 'key-rot');
      assert.equal((await clients.authenticate(second))!.id, 'key-rot');
      const third = await clients.rotateKey('key-rot', { revokeOthers: true });
      assert.equal(await clients.authenticate(first), null, 'revoked with the others');
      assert.equal(await clients.authenticate(second), null);
      assert.equal((await clients.authenticate(third))!.id, 'key-rot');
      const keys = await clients.keys('key-rot');
      assert.equal(keys.length, 3);
      for (const k of keys) assert.match(k.id, /^key_[0-9a-f]{12}$/);
      const live = keys.filter((k) => k.revokedAt === null);
      assert.equal(live.length, 1);
      await clients.revokeKey('key-rot', live[0]!.id);
      assert.equal(await clients.authenticate(third), null, 'revoked: refused at once');
      await assert.rejects(clients.revokeKey('key-rot', live[0]!.id), code('client_not_found'), 'already revoked');
      await assert.rejects(clients.revokeKey('cr-none', 'key_000000000000'), code('client_not_found'));
      await assert.rejects(clients.rotateKey('cr-none'), code('client_not_found'));
      assert.deepEqual(await clients.keys('cr-none'), []);
    });

    test('10 racing rotations with revokeOthers from two connections leave exactly one working key', async () => {
      await clients.create({ id: 'key-race', ...base });
      const issued = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other : clients).rotateKey('key-race', { revokeOthers: true })));
      const working = [];
      for (const key of issued) if (await clients.authenticate(key)) working.push(key);
      assert.equal(working.length, 1);
      const keys = await clients.keys('key-race');
      assert.equal(keys.length, 11);
      assert.equal(keys.filter((k) => k.revokedAt === null).length, 1);
    });

    test('10 racing plain rotations: every key works', async () => {
      await clients.create({ id: 'key-many', ...base });
      const issued = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other : clients).rotateKey('key-many')));
      assert.equal(new Set(issued).size, 10);
      for (const key of issued) assert.equal((await clients.authenticate(key))!.id, 'key-many');
    });

    test('ensureKey adds a chosen key once; another client’s key or an unknown client is refused', async () => {
      await clients.create({ id: 'key-ens', ...base });
      await clients.create({ id: 'key-ens2', ...base });
      const chosen = 'kvs_chosen_key_for_the_demo_0001';
      assert.equal(await clients.authenticate(chosen), null, 'unknown before');
      await Promise.all([clients.ensureKey('key-ens', chosen), other.ensureKey('key-ens', chosen)]);
      await clients.ensureKey('key-ens', chosen);
      assert.equal((await clients.authenticate(chosen))!.id, 'key-ens', 'known at once after');
      assert.equal((await clients.keys('key-ens')).length, 2);
      await assert.rejects(clients.ensureKey('key-ens2', chosen), code('client_invalid'));
      await assert.rejects(clients.ensureKey('cr-none', 'kvs_another_chosen_key_0000002'), code('client_not_found'));
    });

    test('keys of impossible length and unknown keys authenticate nobody', async () => {
      for (const key of ['', 'kvs_short', 'kvs_' + 'x'.repeat(300), 'kvs_' + 'y'.repeat(40)]) assert.equal(await clients.authenticate(key), null);
    });
  });

  describe(`${impl.name}: webhooks`, () => {
    test('a new URL brings a new secret; the replaced one signs on for a day; null removes both', async () => {
      await clients.create({ id: 'wh-one', ...base });
      assert.equal(await clients.webhookTarget('wh-one'), null);
      await assert.rejects(clients.setWebhook('wh-one', 'http://hooks.example/in', { demo: false }), code('client_invalid'));
      await assert.rejects(clients.setWebhook('cr-none', 'https://hooks.example/in', { demo: false }), code('client_not_found'));
      await assert.rejects(clients.setWebhook('cr-none', null, { demo: false }), code('client_not_found'));
      const first = (await clients.setWebhook('wh-one', 'https://hooks.example/in', { demo: false }))!;
      assert.match(first, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal((await clients.get('wh-one'))!.webhookUrl, 'https://hooks.example/in');
      const one = (await other.webhookTarget('wh-one'))!;
      assert.deepEqual(one, { url: 'https://hooks.example/in', keys: [Buffer.from(first.slice(6), 'base64')] });
      const second = (await clients.setWebhook('wh-one', 'http://localhost:9/in', { demo: true }))!;
      const two = (await clients.webhookTarget('wh-one'))!;
      assert.equal(two.url, 'http://localhost:9/in');
      assert.deepEqual(two.keys, [Buffer.from(second.slice(6), 'base64'), Buffer.from(first.slice(6), 'base64')], 'current first');
      assert.equal(await clients.setWebhook('wh-one', null, { demo: false }), null);
      assert.equal(await clients.webhookTarget('wh-one'), null);
      assert.equal((await clients.get('wh-one'))!.webhookUrl, null);
    });

    test('the previous secret stops signing when its day is over', async () => {
      await clients.create({ id: 'wh-two', ...base });
      await clients.setWebhook('wh-two', 'https://hooks.example/a', { demo: false });
      const current = (await clients.setWebhook('wh-two', 'https://hooks.example/b', { demo: false }))!;
      await impl.exec("UPDATE clients SET webhook_previous_until = 1 WHERE id = 'wh-two'");
      assert.deepEqual((await clients.webhookTarget('wh-two'))!.keys, [Buffer.from(current.slice(6), 'base64')]);
    });
  });
}
