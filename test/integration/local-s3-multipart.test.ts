import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../local/s3';

const credentials = { accessKeyId: 'AKIDLOCALMULTI', secretAccessKey: 'local-multipart-secret' };
const region = 'eu-central-1';
const Bucket = 'file-bucket';
const MiB = 1024 * 1024;

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3({ credentials, region, buckets: [Bucket], sweepIntervalMs: 0 });
  client = new S3Client({
    endpoint: s3.endpoint,
    region,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  client.destroy();
  await s3.stop();
});

/** Bytes that differ from part to part, so a part in the wrong place shows. */
function filled(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size, seed);
  for (let i = 0; i + 4 <= size; i += 4096) bytes.writeUInt32BE((seed * 7919 + i) >>> 0, i);
  return bytes;
}

async function start(Key: string, extra: { ContentType?: string } = {}): Promise<string> {
  const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ...extra }));
  return created.UploadId as string;
}

async function put(Key: string, UploadId: string, PartNumber: number, Body: Buffer): Promise<string> {
  const answer = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body, ContentLength: Body.length }));
  return answer.ETag as string;
}

async function read(Key: string): Promise<Buffer> {
  const object = await client.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

function failure(promise: Promise<unknown>): Promise<{ name: string; status?: number }> {
  return promise.then(
    () => ({ name: 'no error' }),
    (error: { name: string; $metadata?: { httpStatusCode?: number } }) => ({ name: error.name, status: error.$metadata?.httpStatusCode }),
  );
}

describe('the local S3 multipart upload', () => {
  it('joins parts in order into one object with its type and the multipart ETag S3 gives it', async () => {
    const Key = 'files/org/a/joined.bin';
    const UploadId = await start(Key, { ContentType: 'application/octet-stream' });
    const first = filled(5 * MiB, 1);
    const second = filled(1234, 2);
    const etags = [await put(Key, UploadId, 1, first), await put(Key, UploadId, 2, second)];
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    );
    const expected = createHash('md5')
      .update(Buffer.concat(etags.map((etag) => Buffer.from(etag.replace(/"/g, ''), 'hex'))))
      .digest('hex');
    expect(done.ETag).toBe(`"${expected}-2"`);
    const head = await client.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ETag).toBe(`"${expected}-2"`);
    expect(head.ContentType).toBe('application/octet-stream');
    expect((await read(Key)).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('lists the parts it holds, a page at a time, so a client can resume', async () => {
    const Key = 'files/org/b/resumed.bin';
    const UploadId = await start(Key);
    for (const number of [1, 2, 3]) await put(Key, UploadId, number, filled(10, number));
    const all = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(all.Parts?.map((part) => [part.PartNumber, part.Size])).toEqual([[1, 10], [2, 10], [3, 10]]);
    expect(all.IsTruncated).toBe(false);
    const page = await client.send(new ListPartsCommand({ Bucket, Key, UploadId, MaxParts: 2 }));
    expect(page.Parts?.map((part) => part.PartNumber)).toEqual([1, 2]);
    expect(page.IsTruncated).toBe(true);
    const rest = await client.send(new ListPartsCommand({ Bucket, Key, UploadId, PartNumberMarker: page.NextPartNumberMarker }));
    expect(rest.Parts?.map((part) => part.PartNumber)).toEqual([3]);
  });

  it('replaces a part uploaded again under the same number', async () => {
    const Key = 'files/org/c/replaced.bin';
    const UploadId = await start(Key);
    await put(Key, UploadId, 1, filled(100, 1));
    const etag = await put(Key, UploadId, 1, filled(50, 9));
    const listed = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listed.Parts?.map((part) => [part.PartNumber, part.Size, part.ETag])).toEqual([[1, 50, etag]]);
  });

  it('refuses part numbers outside 1 to 10,000', async () => {
    const Key = 'files/org/d/numbers.bin';
    const UploadId = await start(Key);
    for (const PartNumber of [0, 10_001]) {
      expect(await failure(put(Key, UploadId, PartNumber, filled(1, 1)))).toMatchObject({ name: 'InvalidArgument', status: 400 });
    }
  });

  it('refuses to complete with a part smaller than 5 MiB before the last, a wrong ETag or parts out of order', async () => {
    const Key = 'files/org/e/rules.bin';
    const UploadId = await start(Key);
    const small = await put(Key, UploadId, 1, filled(10, 1));
    const last = await put(Key, UploadId, 2, filled(10, 2));
    const complete = (Parts: Array<{ ETag: string; PartNumber: number }>) =>
      failure(client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } })));
    expect(await complete([{ ETag: small, PartNumber: 1 }, { ETag: last, PartNumber: 2 }])).toMatchObject({ name: 'EntityTooSmall', status: 400 });
    expect(await complete([{ ETag: '"0123"', PartNumber: 1 }])).toMatchObject({ name: 'InvalidPart', status: 400 });
    expect(await complete([{ ETag: last, PartNumber: 2 }, { ETag: small, PartNumber: 1 }])).toMatchObject({ name: 'InvalidPartOrder', status: 400 });
    expect(await complete([{ ETag: small, PartNumber: 3 }])).toMatchObject({ name: 'InvalidPart', status: 400 });
    // None of the refusals ended the upload or made an object.
    expect((await client.send(new ListPartsCommand({ Bucket, Key, UploadId }))).Parts).toHaveLength(2);
    expect(await failure(client.send(new HeadObjectCommand({ Bucket, Key })))).toMatchObject({ status: 404 });
  });

  it('forgets an aborted upload: its parts, its listing and its completion are gone', async () => {
    const Key = 'files/org/f/aborted.bin';
    const UploadId = await start(Key);
    const etag = await put(Key, UploadId, 1, filled(10, 1));
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    expect(await failure(client.send(new ListPartsCommand({ Bucket, Key, UploadId })))).toMatchObject({ name: 'NoSuchUpload', status: 404 });
    expect(await failure(put(Key, UploadId, 2, filled(10, 2)))).toMatchObject({ name: 'NoSuchUpload', status: 404 });
    const completing = client.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ ETag: etag, PartNumber: 1 }] } }),
    );
    expect(await failure(completing)).toMatchObject({ name: 'NoSuchUpload', status: 404 });
  });

  it('answers NoSuchUpload for an upload id used with another key', async () => {
    const UploadId = await start('files/org/g/one.bin');
    expect(await failure(client.send(new ListPartsCommand({ Bucket, Key: 'files/org/g/other.bin', UploadId })))).toMatchObject({
      name: 'NoSuchUpload',
      status: 404,
    });
  });

  it('refuses a part whose bytes do not have the SHA-256 its URL carries', async () => {
    const Key = 'files/org/h/checked.bin';
    const UploadId = await start(Key);
    const bytes = filled(1000, 3);
    const digest = (data: Buffer) => createHash('sha256').update(data).digest('base64');
    const url = await getSignedUrl(
      client,
      new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, ChecksumSHA256: digest(bytes) }),
      { unhoistableHeaders: new Set(['x-amz-checksum-sha256']), expiresIn: 300 },
    );
    const wrong = await fetch(url, { method: 'PUT', body: filled(1000, 4), headers: { 'x-amz-checksum-sha256': digest(bytes) } });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('BadDigest');
    const right = await fetch(url, { method: 'PUT', body: bytes, headers: { 'x-amz-checksum-sha256': digest(bytes) } });
    expect(right.status).toBe(200);
    expect((await client.send(new ListPartsCommand({ Bucket, Key, UploadId }))).Parts?.map((part) => part.Size)).toEqual([1000]);
  });

  it('takes only parts that carry their SHA-256 in an upload made with that algorithm, and completes it only with every part’s', async () => {
    // Prepare
    const Key = 'files/org/k/checked-parts.bin';
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'SHA256' }));
    const UploadId = created.UploadId as string;
    const bytes = filled(100, 7);
    const ChecksumSHA256 = createHash('sha256').update(bytes).digest('base64');

    // Act
    const unchecked = await failure(put(Key, UploadId, 1, bytes));
    const part = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: bytes, ContentLength: bytes.length, ChecksumSHA256 }));
    const listed = await client.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    const complete = (Parts: Array<{ ETag: string; PartNumber: number; ChecksumSHA256?: string }>) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
    const withoutChecksums = await failure(complete([{ ETag: part.ETag as string, PartNumber: 1 }]));
    const wrongChecksum = await failure(complete([{ ETag: part.ETag as string, PartNumber: 1, ChecksumSHA256: createHash('sha256').update('x').digest('base64') }]));
    await complete([{ ETag: part.ETag as string, PartNumber: 1, ChecksumSHA256 }]);

    // Assess
    expect(unchecked).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(listed.Parts?.map((listedPart) => listedPart.ChecksumSHA256)).toEqual([ChecksumSHA256]);
    expect(withoutChecksums).toMatchObject({ name: 'InvalidRequest', status: 400 });
    expect(wrongChecksum).toMatchObject({ name: 'InvalidPart', status: 400 });
    expect((await read(Key)).equals(bytes)).toBe(true);
  });

  it('copies ranges of an object into parts only while the object still has the ETag asked for', async () => {
    const source = filled(6 * MiB + 100, 5);
    await client.send(new PutObjectCommand({ Bucket, Key: 'temp/org/source.bin', Body: source }));
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'temp/org/source.bin' }));
    const Key = 'files/org/i/copied.bin';
    const UploadId = await start(Key);
    const copy = (PartNumber: number, range: string, CopySourceIfMatch = head.ETag) =>
      client.send(
        new UploadPartCopyCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber,
          CopySource: `${Bucket}/temp/org/source.bin`,
          CopySourceRange: range,
          CopySourceIfMatch,
        }),
      );
    const first = await copy(1, `bytes=0-${5 * MiB - 1}`);
    const second = await copy(2, `bytes=${5 * MiB}-${source.length - 1}`);
    expect(await failure(copy(3, 'bytes=0-9', '"not-the-etag"'))).toMatchObject({ status: 412 });
    expect(await failure(copy(3, `bytes=0-${source.length}`))).toMatchObject({ name: 'InvalidArgument', status: 400 });
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { ETag: first.CopyPartResult?.ETag as string, PartNumber: 1 },
            { ETag: second.CopyPartResult?.ETag as string, PartNumber: 2 },
          ],
        },
      }),
    );
    expect((await read(Key)).equals(source)).toBe(true);
  });

  it('aborts uploads the abort-incomplete rule has expired, and only those', async () => {
    const Key = 'files/org/j/forgotten.bin';
    const UploadId = await start(Key);
    await put(Key, UploadId, 1, filled(10, 1));
    expect(await s3.abortIncompleteUploads(new Date())).toBe(0);
    expect((await client.send(new ListPartsCommand({ Bucket, Key, UploadId }))).Parts).toHaveLength(1);
    const aborted = await s3.abortIncompleteUploads(new Date(Date.now() + 2 * 24 * 3600 * 1000));
    expect(aborted).toBeGreaterThanOrEqual(1);
    expect(await failure(client.send(new ListPartsCommand({ Bucket, Key, UploadId })))).toMatchObject({ name: 'NoSuchUpload' });
  });
});
