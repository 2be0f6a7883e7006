import { S3Client } from '@aws-sdk/client-s3';
import { clientTimeouts } from './storage-budget';
import type { StorageBudget } from './storage-budget';

/** The bucket's client, each call bounded by `budget`. It also signs the service's URLs. */
export function createS3Client(options: {
  region: string;
  /** Local stand-in; unset on AWS. Presigned URLs carry it, so clients must reach it. */
  endpoint?: string | undefined;
  budget: StorageBudget;
}): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    // Otherwise the SDK signs a checksum of an empty body into every presigned PUT.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...clientTimeouts(options.budget),
  });
}
