import type { VaccinationStatus } from '../../protocol/api.ts';

/** The status rule: 0 no dose, 1 fewer doses than the primary schedule, 2 schedule complete. */
export function statusFor(doses: number, primaryDoses: number | undefined): VaccinationStatus {
  if (doses <= 0) return 0;
  if (primaryDoses === undefined) return 1; // dose given of a vaccine with no known schedule: never "complete"
  return doses >= primaryDoses ? 2 : 1;
}
