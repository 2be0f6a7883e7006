import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../local/events-front';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { Api, tokensFor, uploadFile } from './support/api';

/** `npm start` keeps its data in a directory; file events must survive a restart without repeats. */
describe('file events across a restart of the local stack', () => {
  let dataDir: string;
  let stack: LocalStack | undefined;

  afterAll(async () => {
    await stack?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function saveAndAwait(running: LocalStack, filename: string): Promise<string> {
    const api = new Api(running.url, (await tokensFor(running)).own);
    const file = await uploadFile(api, { filename, mimeType: 'text/plain', bytes: Buffer.from(filename) });
    await running.events.waitFor((event) => event.detail.file_id === file._id && event['detail-type'] === 'FileCreated', 15_000);
    return file._id;
  }

  it('goes on from where the stream was, announcing nothing twice, and keeps every event in the data directory', async () => {
    // Prepare
    dataDir = await mkdtemp(join(tmpdir(), 'file-events-restart-'));
    const options = { dataDir, sweepIntervalMs: 0, ttlIntervalMs: 0 };
    stack = await startLocalStack(options);
    const first = await saveAndAwait(stack, 'before.txt');
    await stack.stop();

    // Act
    stack = await startLocalStack(options);
    const second = await saveAndAwait(stack, 'after.txt');
    const receivedAfterRestart = stack.events.received();
    await stack.stop();
    stack = undefined;

    // Assess
    expect(receivedAfterRestart.map((event) => event.detail.file_id)).toEqual([second]);
    const lines = (await readFile(join(dataDir, 'events.ndjson'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as BusEvent);
    expect(lines.map((event) => [event['detail-type'], event.detail.file_id])).toEqual([
      ['FileCreated', first],
      ['FileCreated', second],
    ]);
  });
});
