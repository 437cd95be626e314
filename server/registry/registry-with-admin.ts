import type { RegistryAdmin } from './registry-admin.ts';
import type { Registry } from './registry.ts';

/** Both sides of the registry on one object: what the service wires (and tests use) where one database holds it. */
export type RegistryWithAdmin = Registry & RegistryAdmin;

/** One object delegating to a registry's request side and its admin side (each keeps its own private state). */
export function withAdmin(lookups: Registry, admin: RegistryAdmin): RegistryWithAdmin {
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
