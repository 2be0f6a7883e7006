import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { patterned, startSourceServer } from './support/source-server';
import type { SourceServer } from './support/source-server';
import { useLocalStack } from './support/stack';

/** source_url files larger than one part (8 MiB): written to the local S3 as multipart uploads. */
const context = useLocalStack({ sweepIntervalMs: 0, sourceUrlHttpHosts: ['127.0.0.1'] });
let source: SourceServer;
const MiB = 1024 * 1024;

beforeAll(async () => {
  source = await startSourceServer();
});
afterAll(async () => {
  await source?.stop();
});

const multipartCalls = () =>
  context.stack.faults
    .calls()
    .filter((call) => call.function === 'saveFile' && /Multipart|UploadPart/.test(call.action))
    .map((call) => call.action);

describe('a save with source_url of a file larger than one part', () => {
  it('streams a 20 MiB source into a multipart upload and saves it, bytes identical', async () => {
    // Prepare
    const { api, stack } = context;
    stack.faults.clear();
    const size = 20 * MiB + 5;

    // Act
    const saved = await api.post<Entity>('/v2/files', { source_url: `${source.url}/chunked?bytes=${size}`, filename: 'large.bin' });

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'large.bin', size_bytes: size });
    expect(multipartCalls()).toEqual(['CreateMultipartUpload', 'UploadPart', 'UploadPart', 'UploadPart', 'CompleteMultipartUpload']);
    expect((await downloadBytes(api, saved.body._id)).equals(patterned(size))).toBe(true);
  });

  it('aborts the multipart upload of a source that breaks off after the first part, answers 422 and leaves nothing', async () => {
    // Prepare
    const { api, stack, storage } = context;
    const before = await storage.snapshot();
    stack.faults.clear();
    stack.iam.reset();

    // Act
    const answer = await api.post<{ error: string }>('/v2/files', { source_url: `${source.url}/broken?bytes=${12 * MiB}&after=${9 * MiB}` });

    // Assess
    expectRefusal(answer, 422);
    expect(answer.body.error).toMatch(/broke off|could not be fetched/);
    expect(multipartCalls()).toEqual(['CreateMultipartUpload', 'UploadPart', 'AbortMultipartUpload']);
    expect(stack.iam.used('saveFile').filter((use) => use.action === 's3:AbortMultipartUpload')).toEqual([
      expect.objectContaining({ resource: expect.stringMatching(/:::file-service-local\/temp\/org-a\//) }),
    ]);
    expect(await storage.snapshot()).toEqual(before);
  });
});
