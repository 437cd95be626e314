// What both writers of the beneficiaries table (row-by-row upserts, bulk loads) must agree on.

export const MAX_BENEFICIARIES_PER_MOBILE = 6;
export const MOBILE_FULL_REASON = `mobile already has ${MAX_BENEFICIARIES_PER_MOBILE} beneficiaries`;

/** The columns of `beneficiaries`, in the order both writers give them. */
export const BENEFICIARY_COLUMNS = 'id, mobile_hash, name, name_key, vaccine, doses, last_dose_date';

/** An imported row replaces the record with its id, whichever mobile it was on. */
export const ON_ID_CONFLICT_UPDATE = `ON CONFLICT (id) DO UPDATE SET mobile_hash = excluded.mobile_hash, name = excluded.name,
  name_key = excluded.name_key, vaccine = excluded.vaccine, doses = excluded.doses, last_dose_date = excluded.last_dose_date`;
