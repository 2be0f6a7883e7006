import { createDocumentClient } from './adapters/dynamodb-client';
import { DynamoFileRepository } from './adapters/dynamo-file-repository';
import { NoObjectStore } from './adapters/no-object-store';
import { storageBudgets } from './adapters/storage-budget';
import type { BudgetName } from './adapters/storage-budget';
import type { Config } from './config';
import { readConfig } from './config';
import { FileService } from './core/file-service';
import { FileListing } from './core/file-listing';

/**
 * The service of a function that only reads the table (getFile): no S3 client is
 * imported, so none is bundled or loaded at its cold start. Its IAM role has no object
 * access either (lambdas/operations.ts).
 */
export function createTableOnlyFileService(config: Config, budget: BudgetName = 'read'): FileService {
  return new FileService({
    repository: new DynamoFileRepository(
      createDocumentClient({ region: config.region, endpoint: config.dynamoDbEndpoint, budget: storageBudgets[budget] }),
      config.tableName,
    ),
    store: new NoObjectStore(config.bucketName),
    limits: { maxUploadBytes: config.maxUploadBytes },
  });
}

const services = new Map<BudgetName, FileService>();

/**
 * The table-only service for this process, created on first use; `write` for the functions
 * that write the table (29 s), `read` for the others (10 s).
 */
export function tableOnlyFileService(budget: BudgetName = 'read'): FileService {
  let service = services.get(budget);
  if (!service) {
    service = createTableOnlyFileService(readConfig(), budget);
    services.set(budget, service);
  }
  return service;
}

let listing: FileListing | undefined;

/** Listing and search for this process, over the same table; created on first use. */
export function fileListing(): FileListing {
  if (!listing) {
    const config = readConfig();
    listing = new FileListing(
      new DynamoFileRepository(
        createDocumentClient({ region: config.region, endpoint: config.dynamoDbEndpoint, budget: storageBudgets.read }),
        config.tableName,
      ),
    );
  }
  return listing;
}
