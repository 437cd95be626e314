/** Small numeric helpers shared by the bench modules. */

/** The q-quantile (0..1) of already sorted samples, nearest-rank. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarise(samples: readonly number[] | Float64Array): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export function median(values: readonly number[]): number {
  return quantileSorted(Float64Array.from(values).sort(), 0.5);
}

/** 12345.6 → "12,346"; small numbers keep `digits` decimals. */
export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 1 ? `${fmt(ms * 1000, 0)} µs` : ms < 10 ? `${fmt(ms, 2)} ms` : `${fmt(ms, 1)} ms`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  if (bytes < 0) return `−${fmtBytes(-bytes)}`;
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${fmt(bytes / 1024, 1)} KB`;
  if (bytes < 1024 ** 3) return `${fmt(bytes / 1024 ** 2, 1)} MB`;
  return `${fmt(bytes / 1024 ** 3, 2)} GB`;
}

export function fmtPct(ratio: number): string {
  return Number.isFinite(ratio) ? `${fmt(ratio * 100, ratio < 0.1 ? 1 : 0)} %` : 'n/a';
}

/** xorshift32 from `seed`: deterministic picks, and unlike a power-of-two LCG its low bits are not periodic. */
export function xorshift32(seed = 0x9e3779b9): () => number {
  let state = seed >>> 0;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}
