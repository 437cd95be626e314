// The verifier registry over a real SQLite file: which sessions a client accepts (backend-made
// only, or also keyless widget sessions: a public client), the demo clients' choice, and the SMS
// text rule applied to a client's name and purpose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../store/database.ts';
import { ClientError, SqliteClientStore } from './clients.ts';
import { seedDemoClients } from './demo-clients.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-clients-'));
const db = openDatabase(path.join(dir, 'clients.sqlite'));
const clients = new SqliteClientStore(db, Buffer.alloc(32, 7));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const base = { name: 'Test Verifier', purpose: 'Testing', allowedOrigins: ['https://verifier.example'] };

describe('widget sessions (public client) or backend sessions only', () => {
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
    db.prepare("INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at) VALUES ('ws-old', 'Old', 'Old purpose', '[]', 'active', 0)").run();
    assert.equal((await clients.get('ws-old'))!.widgetSessions, true);
  });

  test('demo clients: the hotel accepts widget sessions, the railway only its backend’s, set on every start', async () => {
    const config = loadConfig({ DEMO_PORT: '8099' });
    await seedDemoClients(clients, config);
    assert.equal((await clients.get('demo-hotel'))!.widgetSessions, true);
    assert.equal((await clients.get('demo-railway'))!.widgetSessions, false);
    // A data dir from before the choice existed (or changed by hand) is put back on the next start.
    db.prepare("UPDATE clients SET widget_sessions = CASE id WHEN 'demo-railway' THEN 1 ELSE 0 END WHERE id LIKE 'demo-%'").run();
    await seedDemoClients(clients, config);
    assert.equal((await clients.get('demo-hotel'))!.widgetSessions, true);
    assert.equal((await clients.get('demo-railway'))!.widgetSessions, false);
  });
});

describe('name and purpose follow the SMS text rule', () => {
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
