import type { Db } from '../store/database.ts';
import { type RegistryAdmin, SqliteRegistryAdmin } from './registry-admin.ts';
import { type Registry, SqliteRegistry } from './registry.ts';

/** Both sides of the registry on one object: what the service wires (and tests use) where one database holds it. */
export type RegistryWithAdmin = Registry & RegistryAdmin;

/** The SQLite registry's request side (lookups) and admin side (imports, counts) over one connection and key. */
export function sqliteRegistry(db: Db, mobileKey: Buffer): RegistryWithAdmin {
  const lookups = new SqliteRegistry(db, mobileKey);
  const admin = new SqliteRegistryAdmin(db, mobileKey);
  return {
    mobileHash: (mobile) => lookups.mobileHash(mobile),
    lookup: (mobile, name) => lookups.lookup(mobile, name),
    lookupKeyed: (mobileHash, nameKey) => lookups.lookupKeyed(mobileHash, nameKey),
    beneficiariesOn: (mobileHash) => lookups.beneficiariesOn(mobileHash),
    upsertBatch: (rows) => admin.upsertBatch(rows),
    bulkLoad: () => admin.bulkLoad(),
    count: () => admin.count(),
    schedule: () => admin.schedule(),
  };
}
