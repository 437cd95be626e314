// Numbers and clock times in the reader's language, for the catalogs' functions: each catalog makes
// its own formatter with its language tag, so digits and times follow that locale (Intl's data).

const MINUTE_MS = 60_000;

export interface Formatter {
  /** A count (tries, seconds) in the locale's digits. */
  number(n: number): string;
  /** Minutes and seconds, as a code's remaining life: "2:05". */
  minutesSeconds(seconds: number): string;
  /**
   * A local clock time at or after `at`, rounded up to the whole minute (so "after 12:40" is never
   * early), with the date when that is not today.
   */
  clock(at: Date, now?: Date): string;
}

const made = new Map<string, Formatter>();

/** The formatter for `lang` (made once: Intl's constructors are not free). */
export function formatFor(lang: string): Formatter {
  let formatter = made.get(lang);
  if (!formatter) made.set(lang, (formatter = makeFormatter(lang)));
  return formatter;
}

// Each Intl object is made on its first use: every catalog makes its formatter when loaded, and the
// server loads all twelve to render first steps that format nothing; made eagerly, their locale and
// time-zone data cost the service ~6 MB of resident memory at start.
function makeFormatter(lang: string): Formatter {
  const count = lazily(() => new Intl.NumberFormat(lang));
  const twoDigits = lazily(() => new Intl.NumberFormat(lang, { minimumIntegerDigits: 2, useGrouping: false }));
  const time = lazily(() => new Intl.DateTimeFormat(lang, { hour: 'numeric', minute: '2-digit' }));
  const dateTime = lazily(() => new Intl.DateTimeFormat(lang, { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }));
  return {
    number: (n) => count().format(n),
    minutesSeconds: (seconds) => `${count().format(Math.floor(seconds / 60))}:${twoDigits().format(seconds % 60)}`,
    clock(at, now = new Date()) {
      const rounded = new Date(Math.ceil(at.getTime() / MINUTE_MS) * MINUTE_MS);
      return (rounded.toDateString() === now.toDateString() ? time() : dateTime()).format(rounded);
    },
  };
}

function lazily<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
