import { describe, expect, it } from 'vitest';
import { packageSizes } from '../../../bench/lib/handlers';
import { mbPerSecond, median, percentile, pool, ratio, round, roundOrder, summarize } from '../../../bench/lib/stats';

describe('percentile', () => {
  it('interpolates between the closest ranks', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 50)).toBe(3);
    expect(percentile(samples, 100)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 20], 99)).toBeCloseTo(19.9);
  });

  it('is NaN without samples and refuses percentiles outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('does not reorder its input', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('summarizes to rounded p50, p99 and the sample count', () => {
    const samples = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(summarize(samples)).toEqual({ p50_ms: 50.5, p99_ms: 99.01, n: 100 });
  });
});

describe('ratio, round and throughput', () => {
  it('divides, rounds, and gives null for what cannot be divided', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(1, 3)).toBe(0.33);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, undefined)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
  });

  it('rounds to the given digits and leaves non-finite values alone', () => {
    expect(round(1.005, 1)).toBe(1);
    expect(round(2.345, 2)).toBe(2.35);
    expect(round(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
  });

  it('computes megabytes (10^6 bytes) per second', () => {
    expect(mbPerSecond(8_000_000, 2000)).toBe(4);
    expect(mbPerSecond(1, 0)).toBeNaN();
  });
});

describe('roundOrder', () => {
  it('alternates direction and rotates, so every contender leads and trails', () => {
    const orders = [0, 1, 2, 3, 4, 5].map((index) => roundOrder(['a', 'b', 'c'], index));
    expect(orders).toEqual([
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
      ['b', 'c', 'a'],
      ['a', 'c', 'b'],
      ['c', 'a', 'b'],
      ['b', 'a', 'c'],
    ]);
    expect(new Set(orders.map((order) => order[0]))).toEqual(new Set(['a', 'b', 'c']));
  });

  it('handles nothing to order', () => {
    expect(roundOrder([], 3)).toEqual([]);
  });
});

describe('pool', () => {
  it('keeps at most `concurrency` tasks in flight and returns results in order', async () => {
    let running = 0;
    let peak = 0;
    const results = await pool([30, 10, 20, 5, 15], 2, async (delay, index) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, delay));
      running -= 1;
      return index;
    });
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  it('refuses a concurrency below one', async () => {
    await expect(pool([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});

describe('packageSizes', () => {
  it('groups bundle inputs by package, scoped ones included, largest first', () => {
    expect(
      packageSizes({
        'node_modules/zod/v4/core/schemas.js': { bytesInOutput: 300 },
        'node_modules/zod/v4/classic/schemas.js': { bytesInOutput: 100 },
        'node_modules/@aws-sdk/client-s3/dist-es/index.js': { bytesInOutput: 200 },
        'node_modules/@smithy/core/node_modules/uuid/index.js': { bytesInOutput: 7 },
        'lambdas/core/file-service.ts': { bytesInOutput: 50 },
      }),
    ).toEqual([
      { name: 'zod', bytes: 400 },
      { name: '@aws-sdk/client-s3', bytes: 200 },
      { name: '(project)', bytes: 50 },
      { name: 'uuid', bytes: 7 },
    ]);
  });
});
