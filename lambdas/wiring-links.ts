import { createDocumentClient } from './adapters/dynamodb-client';
import { DynamoFileRepository } from './adapters/dynamo-file-repository';
import { DynamoLinkRepository } from './adapters/dynamo-link-repository';
import { NoObjectStore } from './adapters/no-object-store';
import { storageBudgets } from './adapters/storage-budget';
import type { Config } from './config';
import { readConfig } from './config';
import { PublicLinks } from './core/public-links';

/**
 * Public links as their org manages them (make, list, revoke): table only, so these
 * functions load no S3 client and their roles hold no object access.
 */
export function createLinkAdmin(config: Config): PublicLinks {
  const client = createDocumentClient({ region: config.region, endpoint: config.dynamoDbEndpoint, budget: storageBudgets.read });
  return new PublicLinks({
    files: new DynamoFileRepository(client, config.tableName),
    links: new DynamoLinkRepository(client, config.tableName),
    store: new NoObjectStore(config.bucketName),
  });
}

let admin: PublicLinks | undefined;

/** The link administration for this process, created on first use. */
export function linkAdmin(): PublicLinks {
  return (admin ??= createLinkAdmin(readConfig()));
}
