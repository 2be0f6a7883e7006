import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { copyParts, partCopyConcurrency } from '../../../lambdas/adapters/part-copy';
import { S3ObjectStore } from '../../../lambdas/adapters/s3-object-store';
import { SourceChangedError } from '../../../lambdas/core/ports';

const s3 = mockClient(S3Client);
const bucket = 'files-bucket';
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function store(copyPartThresholdBytes = 6 * MiB): S3ObjectStore {
  const client = new S3Client({ region: 'eu-central-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  return new S3ObjectStore({ bucket, client, uploadUrlTtlSeconds: 900, downloadUrlTtlSeconds: 60, copyPartThresholdBytes });
}

function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });
}

beforeEach(() => {
  s3.reset();
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
  s3.on(UploadPartCopyCommand).callsFake((input: { PartNumber: number }) => ({ CopyPartResult: { ETag: `"part-${input.PartNumber}"` } }));
  s3.on(CompleteMultipartUploadCommand).resolves({});
  s3.on(AbortMultipartUploadCommand).resolves({});
});

describe('copyParts', () => {
  it('covers every byte once, in order, with parts of at least 5 MiB but the last', () => {
    // Act
    const parts = copyParts(12 * MiB + 3);

    // Assess
    expect(parts.map((part) => part.number)).toEqual(parts.map((_, index) => index + 1));
    expect(parts[0]?.first).toBe(0);
    expect(parts.at(-1)?.last).toBe(12 * MiB + 2);
    parts.slice(1).forEach((part, index) => expect(part.first).toBe((parts[index]?.last ?? 0) + 1));
    parts.slice(0, -1).forEach((part) => expect(part.last - part.first + 1).toBeGreaterThanOrEqual(5 * MiB));
  });

  it('copies a 1 GiB object in one round of parallel parts', () => {
    // Act
    const parts = copyParts(GiB);

    // Assess
    expect(parts).toHaveLength(partCopyConcurrency);
    expect(parts[0]?.last).toBe(GiB / partCopyConcurrency - 1);
  });

  it('keeps a 5 TiB object within 10,000 parts of at most 5 GiB', () => {
    // Act
    const parts = copyParts(5 * 1024 * GiB);

    // Assess
    expect(parts.length).toBeLessThanOrEqual(10_000);
    expect(Math.max(...parts.map((part) => part.last - part.first + 1))).toBeLessThanOrEqual(5 * GiB);
  });

  it('refuses to split nothing', () => {
    expect(() => copyParts(0)).toThrow(RangeError);
  });
});

describe('S3ObjectStore.copy of a big object', () => {
  it('copies an object below the threshold with one CopyObject', async () => {
    // Prepare
    s3.on(CopyObjectCommand).resolves({});

    // Act
    await store().copy('temp/o/u/a.bin', 'files/o/f/u/a.bin', '"e1"', { size: 6 * MiB - 1, contentType: 'application/zip' });

    // Assess
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(1);
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('copies an object at the threshold in ranged parts, each on condition of the inspected ETag, keeping its type', async () => {
    // Prepare
    const size = 12 * MiB + 5;

    // Act
    await store().copy('temp/o/u/März 1.bin', 'files/o/f/u/März 1.bin', '"e1"', { size, contentType: 'application/zip' });

    // Assess
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toEqual({
      Bucket: bucket,
      Key: 'files/o/f/u/März 1.bin',
      ContentType: 'application/zip',
    });
    const parts = s3.commandCalls(UploadPartCopyCommand).map((call) => call.args[0].input);
    expect(parts.map((part) => part.CopySourceRange).sort()).toEqual(copyParts(size).map((part) => `bytes=${part.first}-${part.last}`).sort());
    for (const part of parts) {
      expect(part).toMatchObject({ Bucket: bucket, Key: 'files/o/f/u/März 1.bin', UploadId: 'up-1', CopySourceIfMatch: '"e1"' });
      expect(part.CopySource).toBe(`${bucket}/temp/o/u/M%C3%A4rz%201.bin`);
    }
    const complete = s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input;
    expect(complete?.MultipartUpload?.Parts).toEqual(copyParts(size).map((part) => ({ PartNumber: part.number, ETag: `"part-${part.number}"` })));
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('copies at most the concurrency limit of parts at once', async () => {
    // Prepare: 40 parts of 5 MiB, each answering a moment later.
    let running = 0;
    let most = 0;
    s3.on(UploadPartCopyCommand).callsFake(async (input: { PartNumber: number }) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running -= 1;
      return { CopyPartResult: { ETag: `"p${input.PartNumber}"` } };
    });

    // Act
    await store().copy('temp/a', 'files/a', '"e1"', { size: 200 * MiB });

    // Assess
    expect(s3.commandCalls(UploadPartCopyCommand)).toHaveLength(copyParts(200 * MiB).length);
    expect(most).toBe(partCopyConcurrency);
  });

  it.each([
    ['changed (412)', s3Error('PreconditionFailed', 412)],
    ['is gone (NoSuchKey)', s3Error('NoSuchKey', 404)],
  ])('aborts the upload and answers SourceChangedError when the source %s', async (_case, error) => {
    // Prepare
    s3.on(UploadPartCopyCommand, { PartNumber: 2 }).rejects(error);

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"', { size: 30 * MiB });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(SourceChangedError);
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0]?.args[0].input).toEqual({ Bucket: bucket, Key: 'files/a', UploadId: 'up-1' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts only once every part already started has settled', async () => {
    // Prepare: part 1 fails at once while part 2 is still copying.
    let partTwoDone = false;
    s3.on(UploadPartCopyCommand, { PartNumber: 1 }).rejects(s3Error('InternalError', 500));
    s3.on(UploadPartCopyCommand, { PartNumber: 2 }).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      partTwoDone = true;
      return { CopyPartResult: { ETag: '"p2"' } };
    });
    let abortedAfterPartTwo: boolean | undefined;
    s3.on(AbortMultipartUploadCommand).callsFake(() => {
      abortedAfterPartTwo = partTwoDone;
      return {};
    });

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"', { size: 10 * MiB });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InternalError' });
    expect(abortedAfterPartTwo).toBe(true);
  });

  it('aborts the upload when completing it fails, and passes the failure on', async () => {
    // Prepare
    s3.on(CompleteMultipartUploadCommand).rejects(s3Error('InternalError', 500));

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"', { size: 10 * MiB });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InternalError' });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('passes on a vanished multipart upload as a failure of its own, not as a changed source', async () => {
    // Prepare
    s3.on(UploadPartCopyCommand).rejects(s3Error('NoSuchUpload', 404));

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"', { size: 10 * MiB });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('takes a Complete answered NoSuchUpload as done when the object of the copy\'s size is at the key (a retried Complete whose first answer was lost)', async () => {
    // Prepare
    s3.on(CompleteMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 * MiB });

    // Act
    await store().copy('temp/a', 'files/a', '"e1"', { size: 10 * MiB });

    // Assess
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: bucket, Key: 'files/a' });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  it('fails a Complete answered NoSuchUpload when no object of the copy\'s size is at the key, and aborts', async () => {
    // Prepare
    s3.on(CompleteMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 * MiB - 1 });

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"', { size: 10 * MiB });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'NoSuchUpload' });
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('copies in parts above 256 MiB when no threshold is configured', async () => {
    // Prepare
    const client = new S3Client({ region: 'eu-central-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
    const defaults = new S3ObjectStore({ bucket, client, uploadUrlTtlSeconds: 900, downloadUrlTtlSeconds: 60 });
    s3.on(CopyObjectCommand).resolves({});

    // Act
    await defaults.copy('temp/a', 'files/a', '"e1"', { size: 256 * MiB - 1 });
    await defaults.copy('temp/b', 'files/b', '"e2"', { size: 256 * MiB });

    // Assess
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['files/a']);
    expect(s3.commandCalls(CreateMultipartUploadCommand).map((call) => call.args[0].input.Key)).toEqual(['files/b']);
  });
});
