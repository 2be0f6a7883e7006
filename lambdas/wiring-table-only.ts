import { createDocumentClient } from './adapters/dynamodb-client';
import { DynamoFileRepository } from './adapters/dynamo-file-repository';
import { UrlOnlyObjectStore, objectBaseUrl } from './adapters/object-urls';
import { storageBudgets } from './adapters/storage-budget';
import type { Config } from './config';
import { readConfig } from './config';
import { FileService } from './core/file-service';

/**
 * The service of a function that only reads the table (getFile): no S3 client is
 * imported, so none is bundled or loaded at its cold start. Its IAM role has no object
 * access either (lambdas/operations.ts).
 */
export function createTableOnlyFileService(config: Config): FileService {
  return new FileService({
    repository: new DynamoFileRepository(
      createDocumentClient({ region: config.region, endpoint: config.dynamoDbEndpoint, budget: storageBudgets.read }),
      config.tableName,
    ),
    store: new UrlOnlyObjectStore(
      config.bucketName,
      objectBaseUrl({ bucket: config.bucketName, region: config.region, endpoint: config.s3Endpoint }),
    ),
    limits: { maxUploadBytes: config.maxUploadBytes },
  });
}

let service: FileService | undefined;

/** The table-only service for this process, created on first use. */
export function tableOnlyFileService(): FileService {
  return (service ??= createTableOnlyFileService(readConfig()));
}
