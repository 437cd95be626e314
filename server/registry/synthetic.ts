import { csvField } from './csv.ts';
import { CSV_HEADER } from './csv-rows.ts';
import { DEFAULT_SCHEDULE } from './schedule.ts';

const GIVEN = ['Aarav', 'Vivaan', 'Aditya', 'Ananya', 'Diya', 'Ishaan', 'Kavya', 'Rohan', 'Saanvi', 'Arjun',
  'Priya', 'Rahul', 'Sneha', 'Vikram', 'Pooja', 'Amit', 'Neha', 'Suresh', 'Lakshmi', 'Farhan'];
const FAMILY = ['Sharma', 'Verma', 'Patel', 'Reddy', 'Iyer', 'Khan', 'Singh', 'Das', 'Nair', 'Gupta',
  'Mehta', 'Joshi', 'Rao', 'Bose', 'Chatterjee', 'Pillai', 'Kulkarni', 'Menon', 'Yadav', 'Ali'];
const VACCINES = Object.keys(DEFAULT_SCHEDULE);

/** Deterministic small PRNG (mulberry32) so a given seed always yields the same registry. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The mobile number of synthetic beneficiary i: households of up to 4 share one. */
export function syntheticMobile(i: number): string {
  return String(7000000000 + Math.floor(i / 4) * 7);
}

/** Yields a synthetic registry CSV, header first, in chunks of lines. */
export function* syntheticRegistryCsv(count: number, seed = 1): Generator<string> {
  const rand = prng(seed);
  yield `${CSV_HEADER.join(',')}\n`;
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const name = `${GIVEN[Math.floor(rand() * GIVEN.length)]} ${FAMILY[Math.floor(rand() * FAMILY.length)]}`;
    const vaccine = VACCINES[Math.floor(rand() * VACCINES.length)]!;
    const doses = Math.floor(rand() * ((DEFAULT_SCHEDULE[vaccine] ?? 2) + 1));
    const day = 1 + Math.floor(rand() * 28);
    const date = doses === 0 ? '' : `2022-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    chunk += `B${i},${syntheticMobile(i)},${csvField(name)},${doses === 0 ? '' : vaccine},${doses},${date}\n`;
    if (chunk.length > 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
