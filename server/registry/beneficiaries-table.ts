import type { BeneficiaryInput } from './beneficiary-rows.ts';
import type { MobileHasher } from './mobile-hash.ts';
import { nameKey } from './names.ts';
import { vaccineKey } from './schedule.ts';

// What both writers of the beneficiaries table (row-by-row upserts, bulk loads) must agree on.

export const MAX_BENEFICIARIES_PER_MOBILE = 6;
export const MOBILE_FULL_REASON = `mobile already has ${MAX_BENEFICIARIES_PER_MOBILE} beneficiaries`;

/** The columns of `beneficiaries`, in the order both writers give them. */
export const BENEFICIARY_COLUMNS = 'id, mobile_hash, name, name_key, vaccine, doses, last_dose_date';

/** An imported row replaces the record with its id, whichever mobile it was on. */
export const ON_ID_CONFLICT_UPDATE = `ON CONFLICT (id) DO UPDATE SET mobile_hash = excluded.mobile_hash, name = excluded.name,
  name_key = excluded.name_key, vaccine = excluded.vaccine, doses = excluded.doses, last_dose_date = excluded.last_dose_date`;

/** A row as both writers store it: mobile hashed, name keyed, vaccine by its schedule key. */
export interface StoredBeneficiary {
  id: string;
  mobileHash: Buffer;
  name: string;
  nameKey: string;
  vaccine: string | null;
  doses: number;
  lastDoseDate: string | null;
}

export function storedBeneficiary(row: BeneficiaryInput, hasher: MobileHasher): StoredBeneficiary {
  return {
    id: row.id,
    mobileHash: hasher.hash(row.mobile),
    name: row.name,
    nameKey: nameKey(row.name),
    vaccine: row.vaccine === null ? null : vaccineKey(row.vaccine),
    doses: row.doses,
    lastDoseDate: row.lastDoseDate,
  };
}
