import { describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity } from './support/api';
import { patternBytes, sha256, useBrowserPage } from './support/browser';
import { useLocalStack } from './support/stack';
import type { UppyRun } from '../browser/uppy-run';

const context = useLocalStack({ sweepIntervalMs: 0 });
const MiB = 1024 * 1024;
const chromium = useBrowserPage('uppy-upload');

describe('Uppy 6 in a real browser', () => {
  it('uploads a 20 MB file in parts through signRequest, paused and resumed without sending a part twice, and the file is saved', async () => {
    // Prepare
    const tab = await chromium.browser.newPage();
    const partPuts = new Map<number, number>();
    let listedParts = 0;
    tab.on('requestfinished', (request) => {
      void request.response().then((response) => {
        const url = new URL(request.url());
        if (request.method() === 'PUT' && url.searchParams.has('partNumber') && response?.status() === 200) {
          const number = Number(url.searchParams.get('partNumber'));
          partPuts.set(number, (partPuts.get(number) ?? 0) + 1);
        }
        if (request.method() === 'GET' && url.searchParams.has('uploadId')) listedParts += 1;
      });
    });
    await tab.goto(chromium.page.url);
    const size = 20 * MiB + 123;
    const run: UppyRun = { api: context.stack.url, token: await context.stack.auth.sign({ org: 'org-a', user: 'alice' }), size, partSize: 5 * MiB, pauseAfterPart: 2 };

    // Act
    const result = await tab.evaluate(
      (options) => (globalThis as unknown as { uploadWithUppy(run: UppyRun): Promise<{ key: string; events: string[] }> }).uploadWithUppy(options),
      run,
    );
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: { bucket: context.stack.bucket, key: result.key } });

    // Assess
    expect(result.key).toMatch(/^temp\/org-a\/[0-9a-f-]{36}\/clip\.bin$/);
    expect(result.events.slice(0, 4)).toEqual(['part 1', 'part 2', 'paused', 'resumed']);
    expect(listedParts, 'the resumed upload asked S3 which parts it holds').toBeGreaterThanOrEqual(1);
    expect(Object.fromEntries(partPuts)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1, 5: 1 });
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'clip.bin', size_bytes: size });
    expect(sha256(await downloadBytes(context.api, saved.body._id))).toBe(sha256(patternBytes(size)));
    await tab.close();
  });
});
