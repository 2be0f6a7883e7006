/** Pure numeric helpers of the benchmark: percentiles, medians, throughput and ratios. */

/**
 * The p-th percentile (0..100) of the samples, by linear interpolation between the closest
 * ranks (the "type 7" definition spreadsheets and numpy use). NaN for no samples.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface LatencySummary {
  p50_ms: number;
  p99_ms: number;
  n: number;
}

export function summarize(samples: readonly number[], digits = 2): LatencySummary {
  return {
    p50_ms: round(percentile(samples, 50), digits),
    p99_ms: round(percentile(samples, 99), digits),
    n: samples.length,
  };
}

/** Megabytes (10^6 bytes) per second. */
export function mbPerSecond(bytes: number, ms: number): number {
  if (!(ms > 0)) return Number.NaN;
  return bytes / 1e6 / (ms / 1000);
}

/** numerator / denominator, or null when either side is missing or the quotient is not finite. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined, digits = 2): number | null {
  if (numerator === null || numerator === undefined || denominator === null || denominator === undefined) return null;
  const value = numerator / denominator;
  return Number.isFinite(value) && denominator !== 0 ? round(value, digits) : null;
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * The order in which `names` run in round `index`: rotated every round and reversed every
 * other one, so no contender always goes first or always follows the same neighbour
 * (cancels slow drift and warm-cache effects when rounds are paired).
 */
export function roundOrder<T>(names: readonly T[], index: number): T[] {
  const n = names.length;
  if (n === 0) return [];
  const shift = Math.floor(index / 2) % n;
  const rotated = [...names.slice(shift), ...names.slice(0, shift)];
  return index % 2 === 0 ? rotated : rotated.reverse();
}

/** Runs `task` over `items` with at most `concurrency` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
