import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** DeleteObjects accepts at most this many keys per call. */
const DELETE_BATCH = 1000;

/**
 * The bucket's lifecycle rule, applied by hand: deletes objects under `prefix` whose
 * LastModified is more than `maxAgeMs` before `now`. Returns how many were deleted.
 */
export async function sweepExpired(
  client: S3Client,
  buckets: string[],
  prefix: string,
  maxAgeMs: number,
  now: number = Date.now(),
): Promise<number> {
  let deleted = 0;
  for (const bucket of buckets) {
    const expired: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key && object.LastModified && now - object.LastModified.getTime() > maxAgeMs) {
          expired.push(object.Key);
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);

    // Listing first and deleting afterwards keeps the continuation token valid.
    for (let i = 0; i < expired.length; i += DELETE_BATCH) {
      const keys = expired.slice(i, i + DELETE_BATCH);
      const result = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      deleted += keys.length - (result.Errors?.length ?? 0);
    }
  }
  return deleted;
}
