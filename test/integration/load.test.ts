import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TreeMemorySampler } from '../../bench/load/memory';
import { formatReport, problemsOf } from '../../bench/load/report';
import { runLoad } from '../../bench/load/run';
import { percentile, summarize } from '../../bench/load/stats';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';
import { Api } from './support/api';
import { Storage } from './support/storage';

describe('load generator helpers', () => {
  it('percentile uses the nearest rank, so p50 of 1..100 is 50 and p99 is 99', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, index) => index + 1);

    // Act
    const picked = [percentile(values, 50), percentile(values, 99), percentile(values, 100), percentile([7], 1)];

    // Assess
    expect(picked).toEqual([50, 99, 100, 7]);
  });

  it('summarize of no values is all NaN with a count of zero, so a step that never ran prints as a dash', () => {
    // Act
    const summary = summarize([]);

    // Assess
    expect(summary.count).toBe(0);
    expect([summary.p50, summary.p99, summary.max, summary.mean].every(Number.isNaN)).toBe(true);
  });
});

describe('npm run load, small', () => {
  let stack: LocalStack;
  let token: string;

  beforeAll(async () => {
    stack = await startLocalStack();
    token = await stack.auth.sign({ org: 'load-org', user: 'load-user' });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs 100 complete three-step flows at concurrency 16 without an error, and every saved file can be read back', async () => {
    // Prepare
    const sampler = new TreeMemorySampler(process.pid).start();
    const api = new Api(stack.url, token);

    // Act
    const result = await runLoad({ url: stack.url, token, flows: 100, concurrency: 16, size: 4096, verify: 10 });
    const memory = await sampler.stop();
    const reads: number[] = [];
    for (let start = 0; start < result.fileIds.length; start += 16) {
      const batch = result.fileIds.slice(start, start + 16);
      reads.push(...(await Promise.all(batch.map(async (id) => (await api.get(`/v2/files/${id}`)).status))));
    }
    const tempLeft = await new Storage(stack).keys('temp/');
    const printed = formatReport({ result, target: { url: stack.url, mode: 'existing service' }, memory, problems: problemsOf(result) });

    // Assess
    expect(result.errorsByKind).toEqual({});
    expect(result.errors).toBe(0);
    expect(result.ok).toBe(100);
    expect(result.stoppedBy).toBe('completion');
    expect(new Set(result.fileIds).size).toBe(100);
    expect(reads).toEqual(Array.from({ length: 100 }, () => 200));
    expect(tempLeft).toEqual([]);
    expect(result.verified).toBe(10);
    for (const step of ['upload', 'put', 'save', 'flow'] as const) {
      expect(result.latency[step].count).toBe(100);
      expect(Number.isFinite(result.latency[step].p50)).toBe(true);
      expect(Number.isFinite(result.latency[step].p99)).toBe(true);
    }
    expect(Number.isFinite(result.latency.verify.p99)).toBe(true);
    expect(result.throughput.flowsPerSecond).toBeGreaterThan(0);
    expect(result.throughput.megabytesPerSecond).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      expect(memory.available).toBe(true);
      expect(memory.peak.serviceKiB).toBeGreaterThan(0);
      expect(memory.peak.javaKiB).toBeGreaterThan(0);
      // Each peak is the largest value of its own series and the total is the largest per-sample sum:
      // the separate peaks need not fall in the same sample, so the total lies between the largest
      // of them and their sum.
      const { serviceKiB, javaKiB, otherKiB, totalKiB } = memory.peak;
      expect(totalKiB).toBeGreaterThanOrEqual(Math.max(serviceKiB, javaKiB, otherKiB));
      expect(totalKiB).toBeLessThanOrEqual(serviceKiB + javaKiB + otherKiB);
      expect(memory.hwm.serviceKiB).toBeGreaterThan(0);
    }
    for (const text of ['p50', 'p99', '1 upload', '2 put', '3 save', 'flows/s', 'MB/s', 'Errors: 0', 'peak RSS', 'Result: PASS']) {
      expect(printed).toContain(text);
    }
  });

  it('counts refused flows by step and status instead of throwing, and the report fails', async () => {
    // Act
    const result = await runLoad({ url: stack.url, token: 'not-a-token', flows: 5, concurrency: 2, size: 16, verify: 0 });
    const problems = problemsOf(result);

    // Assess
    expect(result.errors).toBe(5);
    expect(result.errorsByKind).toEqual({ 'upload 401': 5 });
    expect(result.errorSamples[0]?.detail).toContain('Unauthorized');
    expect(result.latency.flow.count).toBe(0);
    expect(problems).toEqual(['5 of 5 flows failed']);
  });

  it('refuses a target that is not a loopback address before sending anything', async () => {
    // Act
    const run = runLoad({ url: 'http://192.0.2.1:3000', token, flows: 1, concurrency: 1, size: 1, verify: 0 });

    // Assess
    await expect(run).rejects.toThrow(/only loopback targets/);
  });

  it('stops at its overall time limit and counts the unfinished flows as errors', async () => {
    // Act
    const result = await runLoad({ url: stack.url, token, flows: 10_000, concurrency: 4, size: 16, verify: 0, timeoutMs: 300 });

    // Assess
    expect(result.stoppedBy).toBe('timeout');
    expect(result.ok + result.errors).toBe(10_000);
    expect(result.errors).toBeGreaterThan(0);
    expect(Object.keys(result.errorsByKind)).toContain('not-started RUN_TIMEOUT');
  });
});
