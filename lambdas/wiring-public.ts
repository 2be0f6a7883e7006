import { createDocumentClient } from './adapters/dynamodb-client';
import { DynamoFileRepository } from './adapters/dynamo-file-repository';
import { DynamoLinkRepository } from './adapters/dynamo-link-repository';
import { createS3Client } from './adapters/s3-client';
import { S3ObjectStore } from './adapters/s3-object-store';
import { storageBudgets } from './adapters/storage-budget';
import type { Config } from './config';
import { readConfig } from './config';
import { PublicFiles } from './core/public-files';
import { PublicLinks } from './core/public-links';

/**
 * The services of the routes reached without a token. Their redirects are followed at once,
 * so the presigned URL they hand out lives a few minutes at most: a URL copied out of the
 * redirect soon stops working, and the link or the public-read setting stays the way in.
 */
export const publicUrlTtlSeconds = 300;

function publicAdapters(config: Config) {
  const budget = storageBudgets.read;
  const table = createDocumentClient({ region: config.region, endpoint: config.dynamoDbEndpoint, budget });
  return {
    files: new DynamoFileRepository(table, config.tableName),
    links: new DynamoLinkRepository(table, config.tableName),
    store: new S3ObjectStore({
      bucket: config.bucketName,
      client: createS3Client({ region: config.region, endpoint: config.s3Endpoint, budget }),
      uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
      downloadUrlTtlSeconds: Math.min(config.downloadUrlTtlSeconds, publicUrlTtlSeconds),
    }),
  };
}

let files: PublicFiles | undefined;
let links: PublicLinks | undefined;

/** The `public_url` of public-read files, for this process. */
export function publicFiles(): PublicFiles {
  return (files ??= new PublicFiles(publicAdapters(readConfig())));
}

/** Opening public links, for this process. */
export function openablePublicLinks(): PublicLinks {
  return (links ??= new PublicLinks(publicAdapters(readConfig())));
}
