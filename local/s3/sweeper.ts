import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** DeleteObjects accepts at most this many keys per call. */
const DELETE_BATCH = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When S3's lifecycle rule `Expiration: { Days: days }` expires an object created at
 * `created`: creation plus the days, rounded up to the next midnight UTC. So an object
 * created at 10:30 UTC with one day expires at 00:00 UTC two days later, and one created at
 * 23:59:59 UTC expires 24 h and one second later. S3 then deletes it asynchronously, so an
 * expired object can still be there for a while; never rely on the moment it goes.
 */
export function lifecycleExpiry(created: Date, days: number): Date {
  if (!Number.isInteger(days) || days < 1) throw new Error(`lifecycle expiry needs a whole number of days >= 1, got ${days}`);
  const startOfCreationDay = Math.floor(created.getTime() / DAY_MS) * DAY_MS;
  return new Date(startOfCreationDay + (days + 1) * DAY_MS);
}

/**
 * The bucket's lifecycle rule, applied by hand: deletes the objects under `prefix` that the
 * rule `Expiration: { Days: days }` has expired as of `at`. Returns how many were deleted.
 */
export async function sweepExpired(
  client: S3Client,
  buckets: string[],
  prefix: string,
  days: number,
  at: Date = new Date(),
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
        // LastModified is the creation time of an object that is never overwritten in place.
        if (object.Key && object.LastModified && lifecycleExpiry(object.LastModified, days) <= at) {
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
