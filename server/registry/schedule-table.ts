import type { Db } from '../store/database.ts';
import { DEFAULT_SCHEDULE } from './schedule.ts';

// The `vaccine_schedules` table (primary doses per vaccine): data, not code. Read by the request
// path (a status needs it) and by imports (an unknown vaccine is refused).

/** Adds the brief's vaccines the table does not have yet; never changes a row an operator set. */
export function seedDefaultSchedule(db: Db): void {
  const seed = db.prepare('INSERT OR IGNORE INTO vaccine_schedules (vaccine, primary_doses) VALUES (?, ?)');
  db.transaction(() => {
    for (const [vaccine, doses] of Object.entries(DEFAULT_SCHEDULE)) seed.run(vaccine, doses);
  })();
}

/** Primary doses by vaccine key, as stored. */
export function readSchedule(db: Db): Map<string, number> {
  const rows = db.prepare('SELECT vaccine, primary_doses FROM vaccine_schedules').all() as { vaccine: string; primary_doses: number }[];
  return new Map(rows.map((r) => [r.vaccine, r.primary_doses]));
}
