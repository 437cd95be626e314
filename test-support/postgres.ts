// A real PostgreSQL for a test file (./postgres-server.ts finds or starts one): fresh databases,
// migrated, every one dropped when the file's tests end, also when a test failed.
import { after } from 'node:test';
import { migrate } from '../server/store/postgres/migrate.ts';
import { createPool, type Pool } from '../server/store/postgres/pool.ts';
import { createScratchDatabase } from './postgres-server.ts';

export { postgresAdminUrl } from './postgres-server.ts';

export interface TestDatabase {
  /** URL of this database. */
  url: string;
  /** A pool on it (closed by `drop`). */
  pool: Pool;
  /** Another pool on the same database, e.g. to play a second service process. Closed by `drop`. */
  newPool(size?: number): Pool;
  drop(): Promise<void>;
}

const live = new Set<TestDatabase>();

// Registered on import, i.e. at the test file's top level: node:test runs a root `after` hook at the
// end of the file whatever failed (an `after` called inside a running test is not reliably run).
after(async () => {
  await Promise.all([...live].map((db) => db.drop()));
});

/** A new, uniquely named database, migrated unless `migrate: false` (an empty one, for the migration tests). */
export async function createTestDatabase({ migrate: apply = true }: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const scratch = await createScratchDatabase();
  const pools: Pool[] = [];
  const newPool = (size = 4) => {
    const pool = createPool({ url: scratch.url, size, applicationName: 'kycvs-test' });
    pools.push(pool);
    return pool;
  };
  let dropped = false;
  const db: TestDatabase = {
    url: scratch.url,
    pool: newPool(),
    newPool,
    async drop() {
      if (dropped) return;
      dropped = true;
      live.delete(db);
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      await scratch.drop();
    },
  };
  live.add(db);
  if (apply) await migrate(db.pool);
  return db;
}
