import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../local/s3';

const credentials = { accessKeyId: 'AKIDLOCALWRITES', secretAccessKey: 'local-writes-secret' };
const region = 'eu-central-1';
const bucket = 'write-bucket';

/**
 * S3 replaces an object atomically, so writes racing on one key leave one whole object.
 * s3rver rewrites files in place; the local S3 front must not let that show.
 */
describe('local S3 writes to one key at once', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3({ credentials, region, buckets: [bucket], sweepIntervalMs: 0 });
    client = new S3Client({ endpoint: s3.endpoint, region, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it('leaves the destination whole when ten copies to it race the deletion of their source, round after round', async () => {
    for (let round = 0; round < 8; round += 1) {
      // Prepare
      const source = `temp/source-${round}`;
      const destination = `files/destination-${round}`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: source, Body: `round ${round}`, ContentType: 'text/plain' }));

      // Act
      const copies = Array.from({ length: 10 }, () =>
        client
          .send(new CopyObjectCommand({ Bucket: bucket, Key: destination, CopySource: `${bucket}/${source}` }))
          .then(() => 'copied', () => 'refused'),
      );
      await Promise.race(copies);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: source }));
      await Promise.all(copies);

      // Assess
      const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: destination }));
      expect(await stored.Body?.transformToString()).toBe(`round ${round}`);
    }
  });

  it('takes writes to a key after clients gave up theirs, and leaves it whole when the retries race the deletion of their source', async () => {
    for (let round = 0; round < 6; round += 1) {
      // Prepare: big enough that s3rver is still copying when the clients give up.
      const source = `temp/abandoned-${round}`;
      const destination = `files/abandoned-${round}`;
      const bytes = Buffer.alloc(24 * 1024 * 1024, round + 1);
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: source, Body: bytes }));
      const copy = (signal?: AbortSignal) =>
        client.send(new CopyObjectCommand({ Bucket: bucket, Key: destination, CopySource: `${bucket}/${source}` }), signal ? { abortSignal: signal } : {}).then(
          () => 'copied',
          () => 'refused',
        );

      // Act: as SDKs whose requests timed out (some while queued behind another write of the
      // key) and were retried, while another save removes the source.
      const abandoned = Array.from({ length: 4 }, () => copy(AbortSignal.timeout(15)));
      await Promise.all(abandoned);
      const retries = Array.from({ length: 4 }, () => copy());
      await Promise.race(retries);
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: source }));
      await Promise.all(retries);

      // Assess
      const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: destination }));
      expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? []).equals(bytes)).toBe(true);
    }
  });
});
