import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore, streamPartBytes } from '../../../lambdas/adapters/s3-object-store';
import { PayloadTooLargeError } from '../../../lambdas/core/errors';

const s3 = mockClient(S3Client);
const bucket = 'files-bucket';
const key = 'temp/org-a/5d7c3b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d/big.bin';
const MiB = 1024 * 1024;

function store(): S3ObjectStore {
  const client = new S3Client({ region: 'eu-central-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  return new S3ObjectStore({ bucket, client, uploadUrlTtlSeconds: 900, downloadUrlTtlSeconds: 60 });
}

/** `total` bytes in chunks of `chunk` (each byte its offset mod 251), then optionally a failure. */
async function* body(total: number, chunk = 64 * 1024, failure?: Error): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < total; offset += chunk) {
    const size = Math.min(chunk, total - offset);
    yield Uint8Array.from({ length: size }, (_, index) => (offset + index) % 251);
  }
  if (failure) throw failure;
}

function multipartAccepted(): void {
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
  s3.on(UploadPartCommand).callsFake(async (input: { PartNumber: number }) => ({ ETag: `"etag-${input.PartNumber}"` }));
  s3.on(CompleteMultipartUploadCommand).resolves({});
  s3.on(AbortMultipartUploadCommand).resolves({});
}

const partSizes = () => s3.commandCalls(UploadPartCommand).map((call) => (call.args[0].input.Body as Uint8Array).length);

beforeEach(() => {
  s3.reset();
});

describe('S3ObjectStore.putStream', () => {
  it('writes a body that fits one part with one PutObject, typed, and starts no multipart upload', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    await store().putStream(key, body(streamPartBytes), { contentType: 'application/pdf', maxBytes: 10 * MiB });

    // Assess
    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input).toMatchObject({ Bucket: bucket, Key: key, ContentType: 'application/pdf' });
    expect((puts[0]?.args[0].input.Body as Uint8Array).length).toBe(streamPartBytes);
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('writes an empty body as an empty object', async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    await store().putStream(key, body(0), { maxBytes: 10 });

    // Assess
    expect((s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body as Uint8Array).length).toBe(0);
  });

  it('uploads a larger body in parts of 8 MiB, the rest last, and completes them in order with their ETags', async () => {
    // Prepare
    multipartAccepted();
    const total = 2 * streamPartBytes + 123;

    // Act
    await store().putStream(key, body(total, 1_000_000), { contentType: 'video/mp4', maxBytes: 100 * MiB });

    // Assess
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({ Bucket: bucket, Key: key, ContentType: 'video/mp4' });
    expect(partSizes()).toEqual([streamPartBytes, streamPartBytes, 123]);
    const secondPart = s3.commandCalls(UploadPartCommand)[1]?.args[0].input;
    expect(secondPart).toMatchObject({ UploadId: 'upload-1', PartNumber: 2 });
    // The second part starts where the first ended: no byte lost or repeated at the seam.
    expect((secondPart?.Body as Uint8Array)[0]).toBe(streamPartBytes % 251);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: bucket,
      Key: key,
      UploadId: 'upload-1',
      MultipartUpload: { Parts: [1, 2, 3].map((PartNumber) => ({ ETag: `"etag-${PartNumber}"`, PartNumber })) },
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when the body fails after a part was stored, and passes the body’s error on', async () => {
    // Prepare
    multipartAccepted();
    const failure = new Error('the source broke off');

    // Act
    const attempt = store().putStream(key, body(streamPartBytes + MiB, MiB, failure), { maxBytes: 100 * MiB });

    // Assess
    await expect(attempt).rejects.toBe(failure);
    expect(partSizes()).toEqual([streamPartBytes]);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toEqual({ Bucket: bucket, Key: key, UploadId: 'upload-1' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload when a part cannot be stored', async () => {
    // Prepare
    multipartAccepted();
    s3.on(UploadPartCommand).rejects(new S3ServiceException({ name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'x' }));

    // Act
    const attempt = store().putStream(key, body(streamPartBytes + 1), { maxBytes: 100 * MiB });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InternalError' });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('refuses a body beyond maxBytes with 413, aborting what it started and reading no further', async () => {
    // Prepare
    multipartAccepted();
    let chunksRead = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        chunksRead += 1;
        yield new Uint8Array(MiB);
      }
    }

    // Act
    const attempt = store().putStream(key, endless(), { maxBytes: 10 * MiB });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(chunksRead).toBe(11);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('refuses a small body beyond maxBytes with 413 and stores nothing', async () => {
    // Act
    const attempt = store().putStream(key, body(11, 4), { maxBytes: 10 });

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 413 });
    expect(s3.calls()).toHaveLength(0);
  });
});
