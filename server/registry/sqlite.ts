import type { Db } from '../store/database.ts';
import { SqliteRegistryAdmin } from './registry-admin.ts';
import { type RegistryWithAdmin, withAdmin } from './registry-with-admin.ts';
import { SqliteRegistry } from './registry.ts';

export type { RegistryWithAdmin } from './registry-with-admin.ts';

/** The SQLite registry's request side (lookups) and admin side (imports, counts) over one connection and key. */
export function sqliteRegistry(db: Db, mobileKey: Buffer): RegistryWithAdmin {
  return withAdmin(new SqliteRegistry(db, mobileKey), new SqliteRegistryAdmin(db, mobileKey));
}
