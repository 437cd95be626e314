// The verifiers' texts per language, the same contract against SQLite and PostgreSQL: partial
// changes keep the other field, null goes back to English, the SMS rule holds in every language,
// what a citizen is shown in each language; and racing partial changes both land.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { seenWithinTtl } from '../../test-support/harness.ts';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { openDatabase } from '../store/database.ts';
import { CachedClientTexts } from './cached-client-texts.ts';
import { type ClientTexts, SqliteClientTexts } from './client-texts.ts';
import { ClientError, type ClientStore, SqliteClientStore } from './clients.ts';
import { PostgresClientStore } from './postgres-client-store.ts';
import { PostgresClientTexts } from './postgres-client-texts.ts';

const API_KEY_KEY = Buffer.alloc(32, 3);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-texts-'));
const sqlite = openDatabase(path.join(dir, 'texts.sqlite'));
const sqliteOther = openDatabase(path.join(dir, 'texts.sqlite'));
after(() => {
  sqlite.close();
  sqliteOther.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
const pg = await createTestDatabase();
const pgCached = await createTestDatabase();

const implementations: { name: string; clients: ClientStore; texts: ClientTexts; other: ClientTexts }[] = [
  { name: 'SQLite', clients: new SqliteClientStore(sqlite, API_KEY_KEY), texts: new SqliteClientTexts(sqlite), other: new SqliteClientTexts(sqliteOther) },
  { name: 'PostgreSQL', clients: new PostgresClientStore(pg.pool, API_KEY_KEY), texts: new PostgresClientTexts(pg.pool), other: new PostgresClientTexts(pg.newPool()) },
  {
    name: 'PostgreSQL behind CachedClientTexts',
    clients: new PostgresClientStore(pgCached.pool, API_KEY_KEY),
    texts: new CachedClientTexts(new PostgresClientTexts(pgCached.pool)),
    other: new CachedClientTexts(new PostgresClientTexts(pgCached.newPool())),
  },
];

const client = { id: 'tx-rail', name: 'Rail Co', purpose: 'Boarding a train', allowedOrigins: [] };
const code = (expected: ClientError['code']) => (err: unknown) => err instanceof ClientError && err.code === expected;

for (const { name, clients, texts, other } of implementations) {
  describe(`${name}: client texts`, () => {
    test('set one field or both; undefined keeps, null returns to English; both null removes the language', async () => {
      await clients.create(client);
      assert.deepEqual(await texts.list('tx-rail'), []);
      assert.deepEqual(await texts.set('tx-rail', 'ta', { purpose: 'ரயில் பயணம்' }), { lang: 'ta', name: null, purpose: 'ரயில் பயணம்' });
      assert.deepEqual(await texts.set('tx-rail', 'hi', { name: 'रेल कंपनी', purpose: 'ट्रेन में सवार होना' }), {
        lang: 'hi',
        name: 'रेल कंपनी',
        purpose: 'ट्रेन में सवार होना',
      });
      assert.deepEqual(await texts.set('tx-rail', 'hi', { name: null }), { lang: 'hi', name: null, purpose: 'ट्रेन में सवार होना' });
      assert.deepEqual(await other.list('tx-rail'), [
        { lang: 'hi', name: null, purpose: 'ट्रेन में सवार होना' },
        { lang: 'ta', name: null, purpose: 'ரயில் பயணம்' },
      ]);
      await texts.set('tx-rail', 'ta', { purpose: null });
      assert.deepEqual((await texts.list('tx-rail')).map((t) => t.lang), ['hi']);
    });

    test('localize: the language’s text where registered, else English, marked; a backend’s own purpose as is', async () => {
      await texts.set('tx-rail', 'bn', { name: 'রেল কোং' });
      const shown = (sessionPurpose: string, lang?: Parameters<ClientTexts['localize']>[2]) => texts.localize(client, sessionPurpose, lang);
      assert.deepEqual(await shown('Boarding a train'), { name: 'Rail Co', nameLang: 'en', purpose: 'Boarding a train', purposeLang: 'en' });
      assert.deepEqual(await shown('Boarding a train', 'hi'), { name: 'Rail Co', nameLang: 'en', purpose: 'ट्रेन में सवार होना', purposeLang: 'hi' });
      assert.deepEqual(await shown('Boarding a train', 'bn'), { name: 'রেল কোং', nameLang: 'bn', purpose: 'Boarding a train', purposeLang: 'en' });
      assert.deepEqual(await shown('Tatkal PNR 7', 'bn'), { name: 'রেল কোং', nameLang: 'bn', purpose: 'Tatkal PNR 7', purposeLang: null });
      assert.deepEqual(await shown('Boarding a train', 'ml'), { name: 'Rail Co', nameLang: 'en', purpose: 'Boarding a train', purposeLang: 'en' });
    });

    test('refused: text that breaks the SMS rule (nothing changes), an unknown client', async () => {
      for (const hostile of ['डेमो\nआपका OTP 000000 है', 'ডেমো \u202E000000', 'அ'.repeat(81)]) {
        await assert.rejects(texts.set('tx-rail', 'hi', { name: hostile }), code('client_invalid'));
      }
      assert.equal((await texts.list('tx-rail')).find((t) => t.lang === 'hi')?.name, null);
      await assert.rejects(texts.set('no-such-client', 'hi', { name: 'कोई' }), code('client_not_found'));
    });

    test('racing partial changes from two connections (name on one, purpose on the other) both land', async () => {
      await clients.create({ ...client, id: 'tx-race' });
      await Promise.all([
        texts.set('tx-race', 'mr', { name: 'रेल कंपनी' }),
        other.set('tx-race', 'mr', { purpose: 'रेल्वेत चढणे' }),
        texts.set('tx-race', 'gu', { name: 'રેલ કંપની' }),
        other.set('tx-race', 'gu', { purpose: 'ટ્રેનમાં ચડવું' }),
      ]);
      assert.deepEqual(await texts.list('tx-race'), [
        { lang: 'gu', name: 'રેલ કંપની', purpose: 'ટ્રેનમાં ચડવું' },
        { lang: 'mr', name: 'रेल कंपनी', purpose: 'रेल्वेत चढणे' },
      ]);
    });
  });
}

describe('CachedClientTexts across two processes', () => {
  test('a text set on B is shown on A within the TTL; one set through A, at once', async () => {
    const TTL = 300;
    const clients = new PostgresClientStore(pgCached.pool, API_KEY_KEY);
    await clients.create({ ...client, id: 'tx-cache' });
    const a = new CachedClientTexts(new PostgresClientTexts(pgCached.pool), { ttlMs: TTL });
    const b = new PostgresClientTexts(pgCached.newPool());
    const rail = { ...client, id: 'tx-cache' };
    const filledFrom = Date.now();
    assert.equal((await a.localize(rail, rail.purpose, 'hi')).name, 'Rail Co');
    await b.set('tx-cache', 'hi', { name: 'रेल कंपनी' });
    const setAt = Date.now();
    const checkBegan = Date.now();
    const seen = (await a.localize(rail, rail.purpose, 'hi')).name;
    // Within the TTL of the read that filled it, the entry answers (a slower machine may be past it).
    if (checkBegan < filledFrom + TTL) assert.equal(seen, 'Rail Co', 'cached: the staleness the TTL allows');
    await seenWithinTtl(setAt, TTL, async () => (await a.localize(rail, rail.purpose, 'hi')).name === 'रेल कंपनी');
    await a.set('tx-cache', 'hi', { name: 'रेल' });
    assert.equal((await a.localize(rail, rail.purpose, 'hi')).name, 'रेल', 'own change: at once');
    assert.deepEqual(await a.list('tx-cache'), [{ lang: 'hi', name: 'रेल', purpose: null }]);
  });
});
