import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity } from './support/api';
import { stageUpload } from './support/requests';
import { useLocalStack } from './support/stack';

const MiB = 1024 * 1024;
/** Text, so that save's type check passes it as text/plain; 13 MiB copies as parts of 5, 5 and 3 MiB. */
const bigText = (size: number, seed: string) => Buffer.from(Array.from({ length: Math.ceil(size / 16) }, (_, n) => `${seed}${String(n).padStart(12, '0')}\n`).join('').slice(0, size));

describe('saves and copies of objects at or above the copy-in-parts threshold (6 MiB here)', () => {
  const context = useLocalStack({ sweepIntervalMs: 0, copyPartThresholdBytes: 6 * MiB });
  const s3Calls = (fn: string) =>
    context.stack.faults.calls().filter((call) => call.function === fn && call.service === 's3').map((call) => call.action);
  const headOf = (key: string) => context.storage.s3.send(new HeadObjectCommand({ Bucket: context.stack.bucket, Key: key }));

  it('copies a big upload with parallel UploadPartCopy into one object with a multipart ETag, bytes and type intact', async () => {
    // Prepare
    const { api, stack } = context;
    const bytes = bigText(13 * MiB, 'a');
    const ticket = await stageUpload(api, { filename: 'big.txt', mimeType: 'text/plain', bytes });
    stack.faults.clear();

    // Act
    const saved = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(saved.status).toBe(201);
    expect(s3Calls('saveFile').filter((action) => action !== 'GetObject' && action !== 'HeadObject' && action !== 'DeleteObject')).toEqual([
      'CreateMultipartUpload',
      'UploadPartCopy',
      'UploadPartCopy',
      'UploadPartCopy',
      'CompleteMultipartUpload',
    ]);
    const head = await headOf(saved.body.versions[0]?.s3ref.key ?? '');
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(head.ContentType).toBe('text/plain');
    expect(saved.body).toMatchObject({ size_bytes: bytes.length, mime_type: 'text/plain' });
    expect((await downloadBytes(api, saved.body._id)).equals(bytes)).toBe(true);
  });

  it('copies an upload below the threshold with one CopyObject', async () => {
    // Prepare
    const { api, stack } = context;
    const ticket = await stageUpload(api, { filename: 'small.txt', mimeType: 'text/plain', bytes: bigText(6 * MiB - 1, 'b') });
    stack.faults.clear();

    // Act
    const saved = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(saved.status).toBe(201);
    expect(s3Calls('saveFile')).toContain('CopyObject');
    expect(s3Calls('saveFile')).not.toContain('UploadPartCopy');
    expect((await headOf(saved.body.versions[0]?.s3ref.key ?? '')).ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it('copies a big file through POST /v2/files/{id}:copy in parts as well', async () => {
    // Prepare
    const { api, stack } = context;
    const bytes = bigText(7 * MiB, 'c');
    const ticket = await stageUpload(api, { filename: 'source.txt', mimeType: 'text/plain', bytes });
    const source = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });
    stack.faults.clear();

    // Act
    const copied = await api.post<Entity>(`/v2/files/${source.body._id}:copy`);

    // Assess
    expect(copied.status).toBe(201);
    expect(s3Calls('copyFile').filter((action) => action === 'UploadPartCopy')).toHaveLength(2);
    expect((await headOf(copied.body.versions[0]?.s3ref.key ?? '')).ETag).toMatch(/-2"$/);
    expect((await downloadBytes(api, copied.body._id)).equals(bytes)).toBe(true);
  });

  it('aborts the multipart copy when a part fails, leaves no object, and a retry of the save succeeds', async () => {
    // Prepare: the second part's connection drops, on every attempt the SDK makes.
    const { api, stack, storage } = context;
    const bytes = bigText(13 * MiB, 'd');
    const ticket = await stageUpload(api, { filename: 'retried.txt', mimeType: 'text/plain', bytes });
    const uploadId = ticket.s3ref.key.split('/')[2];
    stack.faults.clear();
    stack.faults.inject({ service: 's3', action: 'UploadPartCopy', function: 'saveFile', occurrence: 2, mode: 'before' });

    // Act
    const failed = await api.post('/v2/files', { s3ref: ticket.s3ref });
    const calls = s3Calls('saveFile');
    stack.faults.clear();
    const left = await storage.keys(`files/org-a/${uploadId}/`);
    const retried = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(failed.status).toBe(503);
    expect(calls).toContain('AbortMultipartUpload');
    expect(calls).not.toContain('CompleteMultipartUpload');
    expect(left).toEqual([]);
    expect(retried.status).toBe(201);
    expect((await downloadBytes(api, retried.body._id)).equals(bytes)).toBe(true);
  });

  it('answers 409 when the upload changes while its parts are copied, and leaves no object or file behind', async () => {
    // Prepare / Act: the moment cannot be forced, so the upload is overwritten as soon as the
    // multipart copy begins, round after round, until one overwrite lands before the last part.
    const { api, stack, storage } = context;
    let conflicts = 0;
    for (let round = 1; round <= 10 && conflicts === 0; round += 1) {
      const ticket = await stageUpload(api, { filename: 'changing.txt', mimeType: 'text/plain', bytes: bigText(13 * MiB, 'e') });
      const uploadId = ticket.s3ref.key.split('/')[2];
      stack.faults.clear();
      const saving = api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });
      await expect.poll(() => s3Calls('saveFile').includes('CreateMultipartUpload'), { interval: 1, timeout: 10_000 }).toBe(true);
      // Other bytes land on the upload's key, as a second PUT to its upload URL would put them.
      await storage.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: ticket.s3ref.key, Body: 'changed', ContentType: 'text/plain' }));
      const saved = await saving;

      // Assess
      expect([201, 409]).toContain(saved.status);
      if (saved.status === 409) {
        conflicts += 1;
        expect(saved.body).toEqual({ status: 409, error: expect.stringMatching(/changed/) });
        expect(await storage.keys(`files/org-a/${uploadId}/`)).toEqual([]);
        expect((await api.get(`/v2/files/${uploadId}`)).status).toBe(404);
      }
    }
    expect(conflicts).toBe(1);
  });
});
