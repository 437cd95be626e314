import type { RegistryLookup } from './registry.ts';
import { vaccineKey } from './schedule.ts';
import { statusFor } from './status.ts';

// What a lookup makes of the rows stored on one mobile, whichever database they came from.

/** A beneficiary row as a lookup reads it (the stored columns' names). */
export interface KeyedBeneficiaryRow {
  id: string;
  name_key: string;
  vaccine: string | null;
  doses: number;
}

/** The beneficiary on the mobile whose name key is `key`, with the status their doses give under `schedule`. */
export function lookupOnMobile(rows: readonly KeyedBeneficiaryRow[], key: string, schedule: ReadonlyMap<string, number>): RegistryLookup {
  // An empty key (no name given: the citizen's sign-in) matches nobody, but still tells whether anyone is registered.
  const hit = key === '' ? undefined : rows.find((r) => r.name_key === key);
  if (!hit) return { registered: rows.length > 0, match: null };
  const primary = hit.vaccine === null ? undefined : schedule.get(vaccineKey(hit.vaccine));
  return { registered: true, match: { beneficiaryId: hit.id, status: statusFor(hit.doses, primary) } };
}
