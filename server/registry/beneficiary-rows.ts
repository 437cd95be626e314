// The shapes of registry rows on their way in: what the CSV readers produce and the writers
// (row-by-row upserts, bulk loads) take. Types only: readers and writers both import them, and
// neither imports the other.

/** One vaccination record as imported. `mobile` is the normalised 10-digit number; it is hashed before storage. */
export interface BeneficiaryInput {
  id: string;
  mobile: string;
  name: string;
  vaccine: string | null;
  doses: number;
  lastDoseDate: string | null;
}

/** A row whose name key the caller computed already (the CSV reader does, to refuse nameless rows). */
export interface NamedBeneficiary extends BeneficiaryInput {
  nameKey: string;
}
