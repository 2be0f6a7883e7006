import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../local/s3';

const credentials = { accessKeyId: 'AKIDLOCALSUMS', secretAccessKey: 'local-checksums-secret' };
const region = 'eu-central-1';
const bucket = 'checksum-bucket';

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');

/**
 * The local S3 verifies `x-amz-checksum-sha256` like S3: other bytes are a 400 BadDigest that
 * stores nothing, and the verified checksum is kept, copied and shown when asked for.
 */
describe('local S3 SHA-256 checksums', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3({ credentials, region, buckets: [bucket], sweepIntervalMs: 0 });
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

  const errorOf = (attempt: Promise<unknown>) => attempt.then(() => undefined, (error: S3ServiceException) => error);
  const allKeys = async () => (await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents?.map((object) => object.Key) ?? [];

  it('refuses other bytes with 400 BadDigest and leaves the object already at the key as it was', async () => {
    // Prepare
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'first', ContentType: 'text/plain' }));
    const keys = await allKeys();

    // Act
    const error = await errorOf(
      client.send(new PutObjectCommand({ Bucket: bucket, Key: 'kept', Body: 'second', ChecksumSHA256: sha256('not the body') })),
    );

    // Assess
    expect(error).toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'kept' }));
    expect(await stored.Body?.transformToString()).toBe('first');
    expect(await allKeys()).toEqual(keys);
  });

  it('answers 400 InvalidRequest for a checksum header that is no SHA-256 in base64, and stores nothing', async () => {
    // Act
    const error = await errorOf(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'invalid', Body: 'x', ChecksumSHA256: 'abc' })));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
    expect(await allKeys()).not.toContain('invalid');
  });

  it('keeps the verified checksum, answers it to a HEAD or GET that asks, and copies it with the object', async () => {
    // Prepare
    const checksum = sha256('checksummed body');

    // Act
    const put = await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'summed', Body: 'checksummed body', ContentType: 'text/plain', ChecksumSHA256: checksum }),
    );
    await client.send(new CopyObjectCommand({ Bucket: bucket, Key: 'summed-copy', CopySource: `${bucket}/summed` }));
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'summed', ChecksumMode: 'ENABLED' }));
    const read = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'summed-copy', ChecksumMode: 'ENABLED' }));
    const plain = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'summed' }));

    // Assess
    expect(put.ChecksumSHA256).toBe(checksum);
    expect(head).toMatchObject({ ChecksumSHA256: checksum, ContentType: 'text/plain', ETag: put.ETag });
    expect(read.ChecksumSHA256).toBe(checksum);
    expect(await read.Body?.transformToString()).toBe('checksummed body');
    expect(plain.ChecksumSHA256).toBeUndefined();
    expect(Object.keys(plain.Metadata ?? {})).toEqual([]);
  });

  it('does not let a client set the stored checksum itself through object metadata', async () => {
    // Prepare
    const forged = sha256('something else');

    // Act
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'forged', Body: 'plain body', Metadata: { 'local-s3-checksum-sha256': forged } }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'forged', ChecksumMode: 'ENABLED' }));

    // Assess
    expect(head.ChecksumSHA256).toBeUndefined();
  });
});
