/** Doses in each vaccine's primary schedule. Data, not code: the registry copies it into its table. */
export const DEFAULT_SCHEDULE: Readonly<Record<string, number>> = {
  COVISHIELD: 2,
  COVAXIN: 2,
  'SPUTNIK V': 2,
  'ZYCOV-D': 3,
  CORBEVAX: 2,
  COVOVAX: 2,
  JANSSEN: 1,
  'SPUTNIK LIGHT': 1,
};

export function vaccineKey(vaccine: string): string {
  return vaccine.normalize('NFKC').trim().replace(/\s+/g, ' ').toUpperCase();
}
