import { describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import { patternBytes, sha256, useBrowserPage } from './support/browser';
import { useLocalStack } from './support/stack';
import type { ClientRun, ClientRunResult } from '../browser/client-run';

const context = useLocalStack({ sweepIntervalMs: 0 });
const MiB = 1024 * 1024;
const chromium = useBrowserPage('client-upload');

const rising = (values: number[]) => values.every((value, index) => index === 0 || value > (values[index - 1] as number));

describe('the typed client in a real browser', () => {
  it('uploads a File in parts with byte progress, aborted and resumed from localStorage without sending held parts again', async () => {
    // Prepare
    const tab = await chromium.browser.newPage();
    const partPuts = new Map<number, number>();
    tab.on('requestfinished', (request) => {
      void request.response().then((response) => {
        const url = new URL(request.url());
        if (request.method() === 'PUT' && url.searchParams.has('partNumber') && response?.status() === 200) {
          const number = Number(url.searchParams.get('partNumber'));
          partPuts.set(number, (partPuts.get(number) ?? 0) + 1);
        }
      });
    });
    await tab.goto(chromium.page.url);
    // At loopback speed a part leaves before Chromium's first progress event; a link of 16 MB/s shows them.
    const devtools = await tab.context().newCDPSession(tab);
    await devtools.send('Network.enable');
    await devtools.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 16 * 1000 * 1000 });
    const size = 20 * MiB + 321;
    const run: ClientRun = { api: context.stack.url, token: await context.stack.auth.sign({ org: 'org-a', user: 'alice' }), size, thresholdBytes: 8 * MiB, abortAtBytes: 9 * MiB };

    // Act
    const result = await tab.evaluate((options) => (globalThis as unknown as { uploadWithClient(run: ClientRun): Promise<ClientRunResult> }).uploadWithClient(options), run);

    // Assess
    expect(result.firstAttempt).toBe('AbortError');
    expect(result.rememberedUploads).toBe(1);
    expect(result.firstEvents.some((loaded) => loaded % (8 * MiB) !== 0), 'XMLHttpRequest reports progress within a part').toBe(true);
    expect(rising(result.firstEvents) && rising(result.secondEvents)).toBe(true);
    expect(result.secondEvents[0], 'the second attempt starts from the part S3 holds').toBeGreaterThanOrEqual(8 * MiB);
    expect(result.secondEvents.at(-1)).toBe(size);
    // Part 2 may have reached S3 as the abort came (its answer then never reaches the page), but no part goes twice.
    expect([...partPuts.values()].every((count) => count === 1)).toBe(true);
    expect(partPuts.get(1)).toBe(1);
    expect(partPuts.get(3)).toBe(1);
    expect(result.size_bytes).toBe(size);
    expect(sha256(await downloadBytes(context.api, result.id))).toBe(sha256(patternBytes(size)));
    await tab.close();
  });
});
