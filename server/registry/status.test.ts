// The status rule over the schedule data: for every vaccine, 0 doses → 0, fewer than its
// primary schedule → 1, the schedule or more → 2; the schedule is a table, not code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../store/database.ts';
import { RAILWAY_WIDGET, addBeneficiary, startTestServer, tokenFor } from '../../test-support/harness.ts';
import { sqliteRegistry } from './sqlite.ts';

const BRIEF_SCHEDULE = {
  COVISHIELD: 2,
  COVAXIN: 2,
  'SPUTNIK V': 2,
  'ZYCOV-D': 3,
  CORBEVAX: 2,
  COVOVAX: 2,
  JANSSEN: 1,
  'SPUTNIK LIGHT': 1,
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-status-'));
const db = openDatabase(path.join(dir, 'status.sqlite'));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const expected = (doses: number, primary: number) => (doses === 0 ? 0 : doses < primary ? 1 : 2);

describe('status rule', () => {
  test('the registry’s schedule table holds the brief’s vaccines and primary doses', async () => {
    assert.deepEqual(await sqliteRegistry(db, Buffer.alloc(32, 1)).schedule(), BRIEF_SCHEDULE);
  });

  test('every vaccine in the schedule data: 0 doses → 0, fewer than primary → 1, primary or more → 2', async () => {
    const registry = sqliteRegistry(db, Buffer.alloc(32, 2));
    const schedule = await registry.schedule();
    let n = 0;
    for (const [vaccine, primary] of Object.entries(schedule)) {
      for (let doses = 0; doses <= primary + 1; doses++) {
        const mobile = `91000${String(n++).padStart(5, '0')}`;
        const [outcome] = await registry.upsertBatch([
          { id: `S${n}`, mobile, name: 'Lakshmi Rao', vaccine: doses === 0 ? null : vaccine, doses, lastDoseDate: doses === 0 ? null : '2022-01-01' },
        ]);
        assert.deepEqual(outcome, { ok: true });
        const found = await registry.lookup(mobile, 'Lakshmi Rao');
        assert.equal(found.match?.status, expected(doses, primary), `${vaccine} × ${doses}`);
      }
    }
  });

  test('the schedule is data: a vaccine added to the table is honoured without code changes', async () => {
    db.prepare('INSERT INTO vaccine_schedules (vaccine, primary_doses) VALUES (?, ?)').run('NEWVAX', 4);
    try {
      const registry = sqliteRegistry(db, Buffer.alloc(32, 3));
      assert.equal((await registry.schedule()).NEWVAX, 4);
      const rows = [3, 4].map((doses) => ({ id: `NV${doses}`, mobile: `902000000${doses}`, name: 'Farhan Ali', vaccine: 'newvax', doses, lastDoseDate: '2023-01-01' }));
      await registry.upsertBatch(rows);
      assert.equal((await registry.lookup('9020000003', 'Farhan Ali')).match?.status, 1);
      assert.equal((await registry.lookup('9020000004', 'Farhan Ali')).match?.status, 2);
    } finally {
      db.prepare('DELETE FROM vaccine_schedules WHERE vaccine = ?').run('NEWVAX');
    }
  });

  test('a registered mobile where no name matches: registered, but no match (so status 0)', async () => {
    const registry = sqliteRegistry(db, Buffer.alloc(32, 4));
    await registry.upsertBatch([{ id: 'NM1', mobile: '9030000000', name: 'Sneha Reddy', vaccine: 'COVAXIN', doses: 2, lastDoseDate: '2022-01-01' }]);
    assert.deepEqual(await registry.lookup('9030000000', 'Pooja Reddy'), { registered: true, match: null });
    assert.deepEqual(await registry.lookup('9030000001', 'Sneha Reddy'), { registered: false, match: null });
  });
});

describe('status rule over HTTP', () => {
  test('for each vaccine, one dose short of its schedule verifies as 1 and the full schedule as 2', async () => {
    const server = await startTestServer();
    try {
      for (const [vaccine, primary] of Object.entries(BRIEF_SCHEDULE)) {
        for (const doses of [primary - 1, primary]) {
          const person = await addBeneficiary(server, { vaccine: doses === 0 ? null : vaccine, doses });
          const { verify, status } = await tokenFor(server, person, RAILWAY_WIDGET);
          assert.equal(verify.body.name_matched, true);
          assert.equal(status, expected(doses, primary), `${vaccine} × ${doses}`);
        }
      }
    } finally {
      await server.close();
    }
  });
});
