import { type Pool, query } from '../store/postgres/pool.ts';
import { DEFAULT_SCHEDULE } from './schedule.ts';

// The `vaccine_schedules` table in PostgreSQL (schedule-table.ts is SQLite's): seeded with the
// brief's vaccines, read by lookups (a status needs it) and imports (an unknown vaccine is refused).

const SEED_SQL = `INSERT INTO vaccine_schedules (vaccine, primary_doses)
  SELECT * FROM unnest($1::text[], $2::integer[]) ON CONFLICT (vaccine) DO NOTHING`;

/**
 * Adds the brief's vaccines the table does not have yet, never changing a row an operator set.
 * One statement: processes starting together all run it, and ON CONFLICT DO NOTHING makes the
 * later ones wait for the first's rows and skip them, without an error.
 */
export async function seedDefaultSchedulePg(pool: Pool): Promise<void> {
  const entries = Object.entries(DEFAULT_SCHEDULE);
  await query(pool, SEED_SQL, [entries.map(([vaccine]) => vaccine), entries.map(([, doses]) => doses)]);
}

/** Primary doses by vaccine key, as stored. */
export async function readSchedulePg(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await query<{ vaccine: string; primary_doses: number }>(pool, 'SELECT vaccine, primary_doses FROM vaccine_schedules');
  return new Map(rows.map((r) => [r.vaccine, r.primary_doses]));
}

/**
 * Seeds the table once per process, on first use (the registry's factory is synchronous, as
 * SQLite's, which seeds in its constructor). A failed seed (database away) is tried again next time.
 */
export class ScheduleSeed {
  readonly #pool: Pool;
  #done: Promise<void> | null = null;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  ensure(): Promise<void> {
    this.#done ??= seedDefaultSchedulePg(this.#pool).catch((err: unknown) => {
      this.#done = null;
      throw err;
    });
    return this.#done;
  }
}
