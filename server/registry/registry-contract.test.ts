// The registry's contract, run the same against SQLite and a real PostgreSQL: lookups and statuses,
// the per-mobile limit, ids moving between mobiles, schedules, demo seeding. Then PostgreSQL against
// SQLite on random batches and a CSV import (same outcomes, same rows), and PostgreSQL under
// concurrent writers (three "processes", each its own pool).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../../test-support/postgres.ts';
import { openDatabase, type Db } from '../store/database.ts';
import { createPool, type Pool, query } from '../store/postgres/pool.ts';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
import { MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON } from './beneficiaries-table.ts';
import type { BeneficiaryInput } from './beneficiary-rows.ts';
import { importCsv, type RejectedRow } from './csv-import.ts';
import { CSV_HEADER } from './csv-rows.ts';
import { DEMO_BENEFICIARIES, seedDemoRegistry } from './demo-seed.ts';
import { postgresRegistry } from './postgres.ts';
import { MobileHasher } from './mobile-hash.ts';
import { PostgresRegistryAdmin } from './postgres-admin.ts';
import { PostgresBulkLoad, REGISTRY_WRITE_LOCK } from './postgres-bulk-load.ts';
import type { RegistryAdmin } from './registry-admin.ts';
import type { RegistryWithAdmin } from './registry-with-admin.ts';
import { DEFAULT_SCHEDULE } from './schedule.ts';
import { sqliteRegistry } from './sqlite.ts';
import { syntheticRegistryCsv } from './synthetic.ts';

const KEY = Buffer.alloc(32, 7);
const HEADER = CSV_HEADER.join(',');

/** A stored row as both databases can list it: the mobile hash in hex. */
interface StoredRow {
  id: string;
  m: string;
  name: string;
  name_key: string;
  vaccine: string | null;
  doses: number;
  last_dose_date: string | null;
}

interface Store {
  registry: RegistryWithAdmin;
  /** Rows whose id starts with `prefix`, by id in byte order. */
  rows(prefix?: string): Promise<StoredRow[]>;
}

const sqliteStore = (db: Db, key = KEY): Store => ({
  registry: sqliteRegistry(db, key),
  rows: async (prefix = '') =>
    db
      .prepare(`SELECT id, lower(hex(mobile_hash)) AS m, name, name_key, vaccine, doses, last_dose_date FROM beneficiaries
                WHERE substr(id, 1, length(?)) = ? ORDER BY id`)
      .all(prefix, prefix) as StoredRow[],
});

const postgresStore = (pool: Pool, key = KEY): Store => ({
  registry: postgresRegistry(pool, key),
  rows: async (prefix = '') =>
    (
      await query<StoredRow>(
        pool,
        `SELECT id, encode(mobile_hash, 'hex') AS m, name, name_key, vaccine, doses, last_dose_date FROM beneficiaries
         WHERE starts_with(id, $1) ORDER BY id COLLATE "C"`,
        [prefix],
      )
    ).rows,
});

const backends: { name: string; fresh(): Promise<Store> }[] = [
  { name: 'SQLite', fresh: async () => sqliteStore(openDatabase(':memory:')) },
  { name: 'PostgreSQL', fresh: async () => postgresStore((await createTestDatabase()).pool) },
];

const person = (id: string, mobile: string, name: string, vaccine: string | null = 'COVAXIN', doses = vaccine ? 2 : 0): BeneficiaryInput => ({
  id,
  mobile,
  name,
  vaccine,
  doses,
  lastDoseDate: doses ? '2022-01-01' : null,
});

for (const backend of backends) {
  describe(`registry contract: ${backend.name}`, () => {
    test('demo seeding: statuses from doses and schedule, names matched by key, unregistered mobiles; seeding again changes nothing', async () => {
      const { registry, rows } = await backend.fresh();
      await seedDemoRegistry(registry);
      const seeded = await rows();
      await seedDemoRegistry(registry);
      assert.deepEqual(await rows(), seeded);
      assert.equal(await registry.count(), DEMO_BENEFICIARIES.length);

      const status = async (mobile: string, name: string) => (await registry.lookup(mobile, name)).match;
      assert.deepEqual(await status('9876543210', 'Asha Verma'), { beneficiaryId: 'DEMO-ASHA', status: 2 });
      assert.deepEqual(await status('9876543210', '  ravi   VERMA '), { beneficiaryId: 'DEMO-RAVI', status: 1 });
      assert.deepEqual(await status('9876543210', 'Meera Verma'), { beneficiaryId: 'DEMO-MEERA', status: 0 });
      assert.deepEqual(await status('9123456780', 'Arjun Singh'), { beneficiaryId: 'DEMO-ARJUN', status: 2 });
      assert.deepEqual(await registry.lookup('9876543210', 'Somebody Else'), { registered: true, match: null });
      assert.deepEqual(await registry.lookup('9000000000', 'Asha Verma'), { registered: false, match: null });
      // No name (the citizen's sign-in): registered or not, never a match.
      assert.deepEqual(await registry.lookupKeyed(registry.mobileHash('9876543210'), ''), { registered: true, match: null });
      assert.equal(registry.mobileHash('9876543210').length, 16);
    });

    test('beneficiariesOn: who is on a mobile, by name in byte order, then id', async () => {
      const { registry } = await backend.fresh();
      const names = ['zoe A', 'Zed B', 'Émile C', 'alpha D', 'Zed B'];
      await registry.upsertBatch(names.map((name, i) => person(`N${5 - i}`, '9811111111', name)));
      assert.deepEqual(await registry.beneficiariesOn(registry.mobileHash('9811111111')), [
        { beneficiaryId: 'N1', name: 'Zed B' },
        { beneficiaryId: 'N4', name: 'Zed B' },
        { beneficiaryId: 'N2', name: 'alpha D' },
        { beneficiaryId: 'N5', name: 'zoe A' },
        { beneficiaryId: 'N3', name: 'Émile C' },
      ]);
      assert.deepEqual(await registry.beneficiariesOn(registry.mobileHash('9822222222')), []);
    });

    test(`at most ${MAX_BENEFICIARIES_PER_MOBILE} beneficiaries a mobile; an update of one already there still lands; a refused row leaves the others`, async () => {
      const { registry, rows } = await backend.fresh();
      const family = Array.from({ length: MAX_BENEFICIARIES_PER_MOBILE + 1 }, (_, i) => person(`F${i}`, '9833333333', `Member ${'abcdefg'[i]}`));
      const outcomes = await registry.upsertBatch([...family, person('F0', '9833333333', 'Member a', 'JANSSEN', 1), person('OTHER', '9844444444', 'Other One')]);
      assert.deepEqual(outcomes, [
        ...Array(MAX_BENEFICIARIES_PER_MOBILE).fill({ ok: true }),
        { ok: false, reason: MOBILE_FULL_REASON },
        { ok: true },
        { ok: true },
      ]);
      assert.equal(await registry.count(), MAX_BENEFICIARIES_PER_MOBILE + 1);
      // The same id twice: the later row is the record.
      assert.deepEqual((await registry.lookup('9833333333', 'Member a')).match, { beneficiaryId: 'F0', status: 2 });
      assert.equal((await rows('F0'))[0]!.vaccine, 'JANSSEN');
      assert.equal((await registry.lookup('9833333333', 'Member g')).match, null);
    });

    test('an id imported on another mobile moves there: its old row goes, and its place on the old mobile is free', async () => {
      const { registry, rows } = await backend.fresh();
      await registry.upsertBatch(Array.from({ length: MAX_BENEFICIARIES_PER_MOBILE }, (_, i) => person(`M${i}`, '9855555555', `Mover ${'abcdef'[i]}`)));
      assert.deepEqual(await registry.upsertBatch([person('NEW', '9855555555', 'Newcomer')]), [{ ok: false, reason: MOBILE_FULL_REASON }]);
      assert.deepEqual(await registry.upsertBatch([person('M0', '9866666666', 'Mover a'), person('NEW', '9855555555', 'Newcomer')]), [{ ok: true }, { ok: true }]);
      assert.equal(await registry.count(), MAX_BENEFICIARIES_PER_MOBILE + 1);
      assert.equal((await registry.lookup('9855555555', 'Mover a')).match, null);
      assert.deepEqual((await registry.lookup('9866666666', 'Mover a')).match, { beneficiaryId: 'M0', status: 2 });
      assert.deepEqual(
        (await rows('M0')).map((r) => r.m),
        [registry.mobileHash('9866666666').toString('hex')],
      );
      // Back again within one batch, and a second move: one row, on the last mobile.
      await registry.upsertBatch([person('M1', '9877777777', 'Mover b'), person('M1', '9866666666', 'Mover b', null)]);
      assert.deepEqual((await rows('M1')).map((r) => [r.m, r.doses]), [[registry.mobileHash('9866666666').toString('hex'), 0]]);
    });

    test('statuses follow the stored schedule by vaccine key; a vaccine with no schedule is never complete', async () => {
      const { registry } = await backend.fresh();
      assert.deepEqual(await registry.schedule(), DEFAULT_SCHEDULE);
      await registry.upsertBatch([
        person('S1', '9888888888', 'Spaced Name', '  covishield ', 2),
        person('S2', '9888888888', 'Unknown Vaccine', 'NOVAX', 9),
        person('S3', '9888888888', 'Partly Done', 'ZYCOV-D', 2),
      ]);
      assert.deepEqual((await registry.lookup('9888888888', 'spaced name')).match, { beneficiaryId: 'S1', status: 2 });
      assert.deepEqual((await registry.lookup('9888888888', 'Unknown Vaccine')).match, { beneficiaryId: 'S2', status: 1 });
      assert.deepEqual((await registry.lookup('9888888888', 'Partly Done')).match, { beneficiaryId: 'S3', status: 1 });
    });
  });
}

describe('PostgreSQL registry against SQLite', () => {

  test('property: random batches (ids repeating, moving, crowding mobiles) give the same outcomes and the same rows', async () => {
    const pg = await createTestDatabase();
    let run = 0;
    const row = fc.record({ id: fc.integer({ min: 0, max: 14 }), mobile: fc.integer({ min: 0, max: 2 }), doses: fc.integer({ min: 0, max: 2 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(row, { maxLength: 25 }), { minLength: 1, maxLength: 3 }), async (batches) => {
        // One PostgreSQL database for every run: each run its own ids (ids are global) and mobile key.
        const prefix = `R${++run}-`;
        const key = Buffer.alloc(32, run % 256);
        const db = openDatabase(':memory:');
        const [lite, postgres] = [sqliteStore(db, key), postgresStore(pg.pool, key)];
        for (const batch of batches) {
          const inputs = batch.map((r) => person(`${prefix}${r.id}`, `98000000${r.mobile}${run % 10}`, `Person ${'abcdefghijklmno'[r.id]}`, r.doses ? 'COVAXIN' : null, r.doses));
          assert.deepEqual(await postgres.registry.upsertBatch(inputs), await lite.registry.upsertBatch(inputs));
          assert.deepEqual(await postgres.rows(prefix), await lite.rows(prefix));
        }
        db.close();
      }),
      { numRuns: 60 },
    );
    // The directory agrees with the table: one row per id, on the mobile it names.
    const { rows: strays } = await query(
      pg.pool,
      `SELECT id FROM beneficiary_ids i FULL JOIN beneficiaries b USING (id)
       WHERE b.mobile_hash IS DISTINCT FROM i.mobile_hash`,
    );
    assert.deepEqual(strays, []);
  });

  test('CSV import (4,000 rows, some invalid, some over the per-mobile limit) lands the same rows and refuses the same lines', async () => {
    const lines = [...syntheticRegistryCsv(3_900, 5)].join('').trimEnd().split('\n');
    for (let i = 0; i < 60; i++) lines.push(`CROWD${i},9711111111,Crowd ${'abcdefghij'[i % 10]}${i},JANSSEN,1,2022-03-03`);
    lines.push('BAD1,12345,No Mobile,,0,', 'BAD2,9722222222,Future Dose,COVAXIN,1,2099-01-01', 'B7,9733333333,Moved Person,,0,');
    const csv = lines.join('\n');
    const run = async (store: Store) => {
      const rejected: RejectedRow[] = [];
      const report = await importCsv(Readable.from([csv]), store.registry, { batchSize: 1_000, today: '2024-06-30', onReject: (r) => rejected.push(r) });
      return { counts: [report.rowsRead, report.imported, report.rejected], rejected };
    };
    const lite = sqliteStore(openDatabase(':memory:'));
    const postgres = postgresStore((await createTestDatabase()).pool);
    const fromPg = await run(postgres);
    assert.deepEqual(fromPg, await run(lite));
    assert.equal(fromPg.rejected.filter((r) => r.reason === MOBILE_FULL_REASON).length, 60 - MAX_BENEFICIARIES_PER_MOBILE);
    // B7 is imported twice (moved): one record.
    assert.equal(await postgres.registry.count(), fromPg.counts[1]! - 1);
    assert.deepEqual(await postgres.rows(), await lite.rows());
  });
});

describe('bulk import (--bulk): PostgreSQL COPY against SQLite', () => {
  /** A CSV with invalid rows, a crowded mobile, ids repeated on one mobile and moved between mobiles. */
  const bulkCsv = (rows: number, seed: number) => {
    const lines = [...syntheticRegistryCsv(rows, seed)].join('').trimEnd().split('\n');
    for (let i = 0; i < 40; i++) lines.push(`CROWD${i % 30},9711111111,Crowd ${'abcdefghij'[i % 10]}${i},JANSSEN,1,2022-03-03`);
    lines.push('BAD1,12345,No Mobile,,0,', 'BAD2,9722222222,Future Dose,COVAXIN,1,2099-01-01');
    // B7 moves away and back; CROWD0 leaves the crowded mobile, freeing a place for CROWD-LATE.
    lines.push('B7,9733333333,Moved Person,,0,', 'B8,9733333333,Moved Too,COVAXIN,2,2022-01-01', 'B7,9744444444,Moved Again,,0,');
    lines.push('CROWD0,9755555555,Crowd Left,,0,', 'CROWD-LATE,9711111111,Crowd Late,,0,', 'CROWD-LATER,9711111111,Crowd Later,,0,');
    lines.push('Tab\tId,9766666666,Back\\slash Name,,0,');
    return lines.join('\n');
  };
  const bulkImport = async (store: Store, csv: string, partBytes = 4_096) => {
    const rejected: RejectedRow[] = [];
    const report = await importCsv(Readable.from([csv]), store.registry, { bulk: true, partBytes, today: '2024-06-30', onReject: (r) => rejected.push(r) });
    return { counts: [report.rowsRead, report.imported, report.rejected], rejected };
  };

  test('into an empty registry: the same rows and the same refused lines, in order', async () => {
    const csv = bulkCsv(3_000, 11);
    const lite = sqliteStore(openDatabase(':memory:'));
    const postgres = postgresStore((await createTestDatabase()).pool);
    const fromPg = await bulkImport(postgres, csv);
    assert.deepEqual(fromPg, await bulkImport(lite, csv));
    // 6 ids land; 24 later ids refused, then 4 of their repeats (updates of the 6 land); CROWD0 leaves, one newcomer takes its place.
    assert.equal(fromPg.rejected.filter((r) => r.reason === MOBILE_FULL_REASON).length, 24 + 4 + 1);
    assert.deepEqual(await postgres.rows(), await lite.rows());
  });

  test('into a registry with rows: moved ids leave their old mobile, updates replace, the limit counts who is there', async () => {
    const first = bulkCsv(1_500, 12);
    const second = bulkCsv(2_000, 13);
    const lite = sqliteStore(openDatabase(':memory:'));
    const pg = await createTestDatabase();
    const postgres = postgresStore(pg.pool);
    assert.deepEqual(await bulkImport(postgres, first), await bulkImport(lite, first));
    // Everyone on the crowded mobile already, and ids moving there from elsewhere.
    const fromPg = await bulkImport(postgres, second);
    assert.deepEqual(fromPg, await bulkImport(lite, second));
    assert.ok(fromPg.rejected.some((r) => r.reason === MOBILE_FULL_REASON));
    assert.deepEqual(await postgres.rows(), await lite.rows());
    const { rows: strays } = await query(
      pg.pool,
      'SELECT id FROM beneficiary_ids i FULL JOIN beneficiaries b USING (id) WHERE b.mobile_hash IS DISTINCT FROM i.mobile_hash',
    );
    assert.deepEqual(strays, []);
  });

  test('property: random files (ids repeating, moving, crowding mobiles) into a seeded registry match SQLite\'s bulk', async () => {
    const pg = await createTestDatabase();
    let run = 0;
    const row = fc.record({ id: fc.integer({ min: 0, max: 14 }), mobile: fc.integer({ min: 0, max: 2 }), doses: fc.integer({ min: 0, max: 2 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 12 }), fc.array(row, { maxLength: 30 }), async (seed, file) => {
        const prefix = `K${++run}-`;
        const key = Buffer.alloc(32, run % 256);
        const db = openDatabase(':memory:');
        const [lite, postgres] = [sqliteStore(db, key), postgresStore(pg.pool, key)];
        const input = (r: { id: number; mobile: number; doses: number }) =>
          person(`${prefix}${r.id}`, `98000000${r.mobile}${run % 10}`, `Person ${'abcdefghijklmno'[r.id]}`, r.doses ? 'COVAXIN' : null, r.doses);
        await lite.registry.upsertBatch(seed.map(input));
        await postgres.registry.upsertBatch(seed.map(input));
        const csv = [HEADER, ...file.map((r) => {
          const p = input(r);
          return `${p.id},${p.mobile},${p.name},${p.vaccine ?? ''},${p.doses},${p.lastDoseDate ?? ''}`;
        })].join('\n');
        assert.deepEqual(await bulkImport(postgres, csv), await bulkImport(lite, csv));
        assert.deepEqual(await postgres.rows(prefix), await lite.rows(prefix));
        db.close();
      }),
      { numRuns: 30 },
    );
  });

  test('property: random files (ids repeating, moving, crowding mobiles) into an empty registry, written as they are read, match SQLite\'s bulk', async () => {
    const pg = await createTestDatabase();
    // Few ids and mobiles: rows are held back (a repeated id, a mobile past 6 rows) and applied at commit.
    const row = fc.record({ id: fc.integer({ min: 0, max: 14 }), mobile: fc.integer({ min: 0, max: 2 }), doses: fc.integer({ min: 0, max: 2 }), bad: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 40 }), fc.integer({ min: 16, max: 600 }), async (file, partBytes) => {
        await query(pg.pool, 'TRUNCATE beneficiaries, beneficiary_ids');
        const db = openDatabase(':memory:');
        const [lite, postgres] = [sqliteStore(db), postgresStore(pg.pool)];
        const csv = [HEADER, ...file.map((r) => `ID${r.id},98000000${r.mobile}0,Person ${'abcdefghijklmno'[r.id]},${r.doses ? 'COVAXIN' : ''},${r.bad ? 'x' : r.doses},${r.doses ? '2021-01-01' : ''}`)].join('\n');
        assert.deepEqual(await bulkImport(postgres, csv, partBytes), await bulkImport(lite, csv, partBytes));
        assert.deepEqual(await postgres.rows(), await lite.rows());
        const { rows: strays } = await query(pg.pool, 'SELECT id FROM beneficiary_ids i FULL JOIN beneficiaries b USING (id) WHERE b.mobile_hash IS DISTINCT FROM i.mobile_hash');
        assert.deepEqual(strays, []);
        db.close();
      }),
      { numRuns: 60 },
    );
  });

  test('into an empty registry: rows sent as the file is read stay unseen until commit, lookups go on, other writers wait; a failure leaves the registry empty', async () => {
    const db = await createTestDatabase();
    const registry = postgresRegistry(db.pool, KEY);
    const admin = new PostgresRegistryAdmin(db.newPool(), KEY);
    // Every part is sent as soon as it is read.
    const loader: RegistryAdmin = {
      upsertBatch: (rows) => admin.upsertBatch(rows),
      bulkLoad: () => new PostgresBulkLoad(db.pool, new MobileHasher(KEY), { batchBytes: 1 }),
      count: () => admin.count(),
      schedule: () => admin.schedule(),
    };
    const lines = bulkCsv(2_000, 15).split('\n');
    // Line by line: the reader cuts parts as the file comes, and stages them while it waits for the rest.
    const [firstHalf, secondHalf] = [lines.slice(0, 1_000).map((line) => `${line}\n`), lines.slice(1_000).join('\n')];
    const sent = async () =>
      Number((await query<{ n: string }>(db.pool, "SELECT sum(pg_relation_size(oid)) AS n FROM pg_class WHERE relname LIKE 'beneficiaries_p%' AND relkind = 'r'")).rows[0]!.n);
    const lockFree = async () => {
      const client = await db.newPool(1).connect();
      try {
        return (await client.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1) AS free', [REGISTRY_WRITE_LOCK])).rows[0]!.free;
      } finally {
        client.release(true);
      }
    };
    const firstPerson = lines[1]!.split(',');
    const pausedImport = (rest: () => Promise<string>) => {
      const input = Readable.from((async function* () {
        yield* firstHalf;
        yield await rest();
      })());
      return importCsv(input, loader, { bulk: true, partBytes: 4_096, today: '2024-06-30' });
    };

    // A read error once rows were sent: nothing lands, the writers' lock is free again.
    let fail: ((err: Error) => void) | null = null;
    const failing = pausedImport(() => new Promise<string>((_resolve, reject) => (fail = reject)));
    while (!fail || (await sent()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    (fail as (err: Error) => void)(Object.assign(new Error('disk read failed'), { code: 'EIO' }));
    await assert.rejects(failing, /disk read failed/);
    assert.equal(await registry.count(), 0);
    assert.ok(await lockFree());

    const before = await sent();
    let resume: (() => void) | null = null;
    const loading = pausedImport(() => new Promise<string>((resolve) => (resume = () => resolve(secondHalf))));
    while (!resume || (await sent()) === before || (await lockFree())) await new Promise((resolve) => setTimeout(resolve, 20));
    // Rows are in the tables, uncommitted: lookups answer from the registry as it was.
    assert.equal(await registry.count(), 0);
    assert.deepEqual(await registry.lookup(firstPerson[1]!, firstPerson[2]!), { registered: false, match: null });
    (resume as () => void)();
    const report = await loading;
    assert.ok(report.imported > 2_000 && (await registry.count()) > 2_000, `${report.imported} rows written`);
    assert.equal((await registry.lookup(firstPerson[1]!, firstPerson[2]!)).match?.beneficiaryId, firstPerson[0]);
  });

  test('another writer holds an empty registry: the bulk load waits for it before writing, lookups are answered meanwhile, then it lands', async () => {
    const db = await createTestDatabase();
    const registry = postgresRegistry(db.pool, KEY);
    const holder = await db.newPool(1).connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      const loading = importCsv(Readable.from([bulkCsv(500, 16)]), postgresRegistry(db.newPool(), KEY), { bulk: true, today: '2024-06-30' });
      const waiting = async () =>
        Number((await query<{ n: number }>(db.pool, "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).rows[0]!.n) === 1;
      while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(await registry.lookup('9876543210', 'Asha Verma'), { registered: false, match: null });
      await holder.query('COMMIT');
      const report = await loading;
      assert.ok(report.imported > 500 && (await registry.count()) > 500, `${report.imported} rows written`);
    } finally {
      holder.release();
    }
  });

  test('another writer holds the registry: the bulk load waits for it at its final transaction while lookups are answered, then lands', async () => {
    const db = await createTestDatabase();
    const registry = postgresRegistry(db.pool, KEY);
    await seedDemoRegistry(registry);
    const holder = await db.newPool(1).connect();
    try {
      // Another writer holds the registry lock: the bulk load stages, then waits at its final transaction.
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      const loading = importCsv(Readable.from([bulkCsv(500, 14)]), postgresRegistry(db.newPool(), KEY), { bulk: true, today: '2024-06-30' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual((await registry.lookup('9876543210', 'Asha Verma')).match, { beneficiaryId: 'DEMO-ASHA', status: 2 });
      assert.equal(await registry.count(), DEMO_BENEFICIARIES.length);
      await holder.query('COMMIT');
      const report = await loading;
      assert.ok(report.imported > 500 && (await registry.count()) > DEMO_BENEFICIARIES.length + 500);
    } finally {
      holder.release();
    }
  });
});

describe('PostgreSQL registry: concurrent writers, database away', () => {
  const processes = async (db: TestDatabase) => [db.pool, db.newPool(), db.newPool()].map((pool) => postgresRegistry(pool, KEY));

  test('three processes seeding the demo registry at once: no error, the same four rows as one', async () => {
    const db = await createTestDatabase();
    const registries = await processes(db);
    await Promise.all(registries.map((registry) => seedDemoRegistry(registry)));
    const contents = await postgresStore(db.pool).rows();
    const once = sqliteStore(openDatabase(':memory:'));
    await seedDemoRegistry(once.registry);
    assert.deepEqual(contents, await once.rows());
    assert.deepEqual(await registries[2]!.schedule(), DEFAULT_SCHEDULE);
  });

  test(`three processes importing onto one mobile at once: exactly ${MAX_BENEFICIARIES_PER_MOBILE} land, whatever the interleaving`, async () => {
    const db = await createTestDatabase();
    const registries = await processes(db);
    const outcomes = await Promise.all(
      registries.flatMap((registry, p) =>
        Array.from({ length: 4 }, (_, b) => registry.upsertBatch([person(`P${p}B${b}`, '9744444444', `Racer ${p} ${b}`), person(`Q${p}B${b}`, `9755${p}${b}0000`, 'Solo')])),
      ),
    );
    assert.equal(outcomes.flat().filter((o) => o.ok).length, MAX_BENEFICIARIES_PER_MOBILE + 12);
    assert.equal((await registries[0]!.beneficiariesOn(registries[0]!.mobileHash('9744444444'))).length, MAX_BENEFICIARIES_PER_MOBILE);
    assert.equal(await registries[1]!.count(), MAX_BENEFICIARIES_PER_MOBILE + 12);
  });

  test('a database that is not there: lookups and imports fail as DatabaseUnavailableError (the API answers 503)', async () => {
    const pool = createPool({ url: 'postgres://postgres@127.0.0.1:1/none', size: 1, connectTimeoutMs: 500 });
    try {
      const registry = postgresRegistry(pool, KEY);
      await assert.rejects(registry.lookup('9876543210', 'Asha Verma'), DatabaseUnavailableError);
      await assert.rejects(registry.upsertBatch([person('X', '9876543210', 'Asha Verma')]), DatabaseUnavailableError);
      await assert.rejects(registry.count(), DatabaseUnavailableError);
    } finally {
      await pool.end();
    }
  });
});
