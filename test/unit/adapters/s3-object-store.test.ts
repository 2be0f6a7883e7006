import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { contentDisposition, S3ObjectStore } from '../../../lambdas/adapters/s3-object-store';
import { SourceChangedError } from '../../../lambdas/core/ports';

const s3 = mockClient(S3Client);
const written = new Date('2024-05-01T10:00:00.000Z');
const bucket = 'files-bucket';

function store(): S3ObjectStore {
  const client = new S3Client({ region: 'eu-central-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
  return new S3ObjectStore({
    bucket,
    client,
    uploadUrlTtlSeconds: 900,
    downloadUrlTtlSeconds: 60,
  });
}

function s3Error(name: string, httpStatusCode: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: name });
}

beforeEach(() => {
  s3.reset();
});

describe('S3ObjectStore', () => {
  it('reports a missing object as undefined, whether S3 says NoSuchKey, just 404, or 403 as it does without s3:ListBucket', async () => {
    // Prepare
    s3.on(GetObjectCommand, { Key: 'a' }).rejects(new NoSuchKey({ message: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    s3.on(GetObjectCommand, { Key: 'b' }).rejects(s3Error('UnknownError', 404));
    s3.on(GetObjectCommand, { Key: 'c' }).rejects(s3Error('AccessDenied', 403));

    // Act
    const found = [await store().inspect('a', 16), await store().inspect('b', 16), await store().inspect('c', 16)];

    // Assess
    expect(found).toEqual([undefined, undefined, undefined]);
  });

  it('reports a missing object as undefined when S3 refuses it with 403, as it does without s3:ListBucket', async () => {
    // Prepare: GET answers AccessDenied in its XML body; HEAD has no body, so the SDK names it Forbidden.
    s3.on(GetObjectCommand, { Key: 'temp/a' }).rejects(s3Error('AccessDenied', 403));
    s3.on(GetObjectCommand, { Key: 'temp/empty' }).rejects(s3Error('InvalidRange', 416));
    s3.on(HeadObjectCommand, { Key: 'temp/empty' }).rejects(s3Error('Forbidden', 403));

    // Act
    const found = [await store().inspect('temp/a', 16), await store().inspect('temp/empty', 16)];

    // Assess
    expect(found).toEqual([undefined, undefined]);
  });

  it('passes on errors other than a missing object, a bad signature among them', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(s3Error('SignatureDoesNotMatch', 403));

    // Act
    const attempt = store().inspect('a', 16);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });

  const rangeAnswer = (etag: string) =>
    ({
      Body: { transformToByteArray: async () => Uint8Array.from([1, 2, 3]) },
      ContentType: 'application/pdf',
      ContentLength: 3,
      ContentRange: 'bytes 0-2/123456',
      ETag: etag,
      LastModified: written,
    }) as unknown as GetObjectCommandOutput;

  it('reads the leading bytes, the type and the whole size from one range request, and the checksum from a HEAD at once', async () => {
    // Prepare
    const checksum = Buffer.alloc(32, 9).toString('base64');
    s3.on(GetObjectCommand).resolves(rangeAnswer('"e1"'));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 123456, ETag: '"e1"', LastModified: written, ChecksumSHA256: checksum });

    // Act
    const object = await store().inspect('temp/k', 16);

    // Assess
    expect(object).toEqual({
      size: 123456,
      contentType: 'application/pdf',
      start: Uint8Array.from([1, 2, 3]),
      etag: '"e1"',
      lastModified: written,
      checksumSha256: checksum,
    });
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: bucket, Key: 'temp/k', Range: 'bytes=0-15' });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: bucket, Key: 'temp/k', ChecksumMode: 'ENABLED' });
  });

  it('reports no checksum for an object uploaded without one', async () => {
    // Prepare: S3 gives such objects a CRC64NVME of its own, never a SHA-256.
    s3.on(GetObjectCommand).resolves(rangeAnswer('"e1"'));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 123456, ETag: '"e1"', LastModified: written, ChecksumCRC64NVME: 'AAAAAAAAAAA=' });

    // Act
    const object = await store().inspect('temp/k', 16);

    // Assess
    expect(object).not.toHaveProperty('checksumSha256');
  });

  it('refuses to pair bytes and a checksum of different objects when the key was overwritten between the two reads', async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves(rangeAnswer('"e1"'));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 9, ETag: '"e2"', LastModified: written, ChecksumSHA256: Buffer.alloc(32).toString('base64') });

    // Act
    const attempt = store().inspect('temp/k', 16);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(SourceChangedError);
  });

  it('signs a checksum into the upload URL as a header the PUT must send, not as a query parameter', async () => {
    // Prepare
    const checksum = Buffer.alloc(32, 7).toString('base64');

    // Act
    const url = new URL(await store().presignUpload('temp/k', { contentType: 'text/plain', checksumSha256: checksum }));

    // Assess
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-checksum-sha256']));
    expect([...url.searchParams.keys()].map((name) => name.toLowerCase())).not.toContain('x-amz-checksum-sha256');
  });

  it('answers an empty object, which S3 refuses any range of, from the HEAD alone', async () => {
    // Prepare: S3 answers 416 InvalidRange to any range request on a zero-byte object.
    s3.on(GetObjectCommand).rejects(s3Error('InvalidRange', 416));
    s3.on(HeadObjectCommand).resolves({ ContentLength: 0, ContentType: 'application/pdf', ETag: '"e0"', LastModified: written });

    // Act
    const object = await store().inspect('temp/empty.pdf', 16);

    // Assess
    expect(object).toEqual({ size: 0, contentType: 'application/pdf', start: new Uint8Array(), etag: '"e0"', lastModified: written });
  });

  it('reports an object deleted between the range request and the HEAD as missing', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(s3Error('InvalidRange', 416));
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } }));

    // Act
    const object = await store().inspect('temp/gone', 16);

    // Assess
    expect(object).toBeUndefined();
  });

  it('copies within the bucket with a URL-encoded copy source', async () => {
    // Prepare
    s3.on(CopyObjectCommand).resolves({});
    const from = 'temp/org%2Fx/u/Bericht März & Co+1.pdf';

    // Act
    await store().copy(from, 'files/k', '"abc"');

    // Assess
    const input = s3.commandCalls(CopyObjectCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ Bucket: bucket, Key: 'files/k', CopySourceIfMatch: '"abc"' });
    expect(input?.CopySource).toBe(`${bucket}/temp/org%252Fx/u/Bericht%20M%C3%A4rz%20%26%20Co%2B1.pdf`);
    expect(decodeURIComponent(input?.CopySource ?? '')).toBe(`${bucket}/${from}`);
  });

  it.each([
    ['changed since it was inspected (412 PreconditionFailed)', s3Error('PreconditionFailed', 412)],
    ['gone (NoSuchKey)', new NoSuchKey({ message: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })],
  ])('refuses to copy an object that %s with SourceChangedError', async (_case, error) => {
    // Prepare
    s3.on(CopyObjectCommand).rejects(error);

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(SourceChangedError);
  });

  it('passes on other copy failures', async () => {
    // Prepare
    s3.on(CopyObjectCommand).rejects(s3Error('InternalError', 500));

    // Act
    const attempt = store().copy('temp/a', 'files/a', '"e1"');

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'InternalError' });
  });

  it('deletes keys in batches of at most 1000', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({});
    const keys = Array.from({ length: 2001 }, (_, index) => `files/k${index}`);

    // Act
    await store().delete(keys);

    // Assess
    const batches = s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects?.map((o) => o.Key) ?? []);
    expect(batches.map((batch) => batch.length)).toEqual([1000, 1000, 1]);
    expect(batches.flat()).toEqual(keys);
  });

  it('fails when S3 reports a key it could not delete', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'files/a', Code: 'AccessDenied' }] });

    // Act
    const attempt = store().delete(['files/a', 'files/b']);

    // Assess
    await expect(attempt).rejects.toThrow(/AccessDenied/);
  });

  it('deletes a single key with DeleteObject, which needs no XML body', async () => {
    // Prepare
    s3.on(DeleteObjectCommand).resolves({});

    // Act
    await store().delete(['temp/a']);

    // Assess
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({ Bucket: bucket, Key: 'temp/a' });
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('sends nothing to delete an empty list', async () => {
    // Act
    await store().delete([]);

    // Assess
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('S3ObjectStore.presignPost', () => {
  const key = 'temp/org/upload/a.pdf';
  const policyOf = (fields: Record<string, string>) =>
    JSON.parse(Buffer.from(fields.policy ?? '', 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };

  it('pins the bucket, the exact key, the type, the size range, the expiry and every signing field in the policy', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const post = await store().presignPost(key, { contentType: 'application/pdf', maxBytes: 1234 });

    // Assess
    expect(post.url).toBe(`https://${bucket}.s3.eu-central-1.amazonaws.com/`);
    expect(post.fields).toEqual({
      key,
      'Content-Type': 'application/pdf',
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': expect.stringMatching(/^AKIDTEST\/\d{8}\/eu-central-1\/s3\/aws4_request$/),
      'x-amz-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
      policy: expect.any(String),
      'x-amz-signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const policy = policyOf(post.fields);
    expect(policy.conditions).toEqual([
      { bucket },
      { key },
      { 'Content-Type': 'application/pdf' },
      { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
      { 'x-amz-credential': post.fields['x-amz-credential'] },
      { 'x-amz-date': post.fields['x-amz-date'] },
      ['content-length-range', 0, 1234],
    ]);
    const expires = Date.parse(policy.expiration);
    expect(expires).toBeGreaterThanOrEqual(before - 1000 + 900_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(s3.calls()).toHaveLength(0);
  });

  it('pins a declared checksum as a field the form must send unchanged', async () => {
    // Prepare
    const checksum = createHash('sha256').update('hello').digest('base64');

    // Act
    const post = await store().presignPost(key, { contentType: 'text/plain', maxBytes: 5, checksumSha256: checksum });

    // Assess
    expect(post.fields['x-amz-checksum-sha256']).toBe(checksum);
    expect(policyOf(post.fields).conditions).toContainEqual({ 'x-amz-checksum-sha256': checksum });
  });

  it('lets an untyped upload send any Content-Type or none', async () => {
    // Act
    const post = await store().presignPost(key, { maxBytes: 10 });

    // Assess
    expect(post.fields['Content-Type']).toBeUndefined();
    expect(policyOf(post.fields).conditions).toContainEqual(['starts-with', '$Content-Type', '']);
    expect(JSON.stringify(policyOf(post.fields).conditions)).not.toContain('"Content-Type":');
  });

  it('carries and pins the session token of temporary credentials, as Lambda always has', async () => {
    // Prepare
    const client = new S3Client({
      region: 'eu-central-1',
      credentials: { accessKeyId: 'ASIATEST', secretAccessKey: 'secret', sessionToken: 'session-token' },
    });
    const temporary = new S3ObjectStore({ bucket, client, uploadUrlTtlSeconds: 60, downloadUrlTtlSeconds: 60 });

    // Act
    const post = await temporary.presignPost(key, { maxBytes: 10 });

    // Assess
    expect(post.fields['x-amz-security-token']).toBe('session-token');
    expect(policyOf(post.fields).conditions).toContainEqual({ 'x-amz-security-token': 'session-token' });
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name', () => {
    // Act
    const header = contentDisposition('Bericht "März" (1).pdf', true);

    // Assess
    expect(header).toBe(`attachment; filename="Bericht _M_rz_ (1).pdf"; filename*=UTF-8''Bericht%20%22M%C3%A4rz%22%20%281%29.pdf`);
  });

  it('cannot be broken out of by line breaks or quotes in the name', () => {
    // Act
    const header = contentDisposition('a"\r\nSet-Cookie: x=1\\.txt', false);

    // Assess
    expect(header.startsWith('inline; ')).toBe(true);
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.match(/"/g)).toHaveLength(2);
  });
});
