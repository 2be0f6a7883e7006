import { createDocumentClient } from './adapters/dynamodb-client';
import { DynamoFileRepository } from './adapters/dynamo-file-repository';
import { createS3Client } from './adapters/s3-client';
import { S3ObjectStore } from './adapters/s3-object-store';
import { HttpSourceFetcher } from './adapters/source-fetcher';
import { storageBudgets } from './adapters/storage-budget';
import type { BudgetName } from './adapters/storage-budget';
import type { Config } from './config';
import { readConfig } from './config';
import { FileService } from './core/file-service';
import { OwnObjects } from './core/own-objects';
import type { FileRepository, ObjectStore } from './core/ports';

/**
 * The service of the functions that reach both the table and the bucket. getFile reaches
 * only the table and is wired in ./wiring-table-only, so its bundle carries no S3 client:
 * each function loads only the SDK clients it uses.
 */

/** The storage adapters and their SDK clients, from configuration. */
export function createAdapters(
  config: Config,
  budget: BudgetName = 'read',
): { repository: FileRepository; store: ObjectStore } {
  const limits = storageBudgets[budget];
  return {
    repository: new DynamoFileRepository(
      createDocumentClient({ region: config.region, endpoint: config.dynamoDbEndpoint, budget: limits }),
      config.tableName,
    ),
    store: new S3ObjectStore({
      bucket: config.bucketName,
      client: createS3Client({ region: config.region, endpoint: config.s3Endpoint, budget: limits }),
      uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
      downloadUrlTtlSeconds: config.downloadUrlTtlSeconds,
      copyPartThresholdBytes: config.copyPartThresholdBytes,
    }),
  };
}

/** Builds the service and its SDK clients from configuration. */
export function createFileService(config: Config, budget: BudgetName = 'read'): FileService {
  return new FileService({
    ...createAdapters(config, budget),
    limits: {
      maxUploadBytes: config.maxUploadBytes,
      tempExpiryDays: config.tempExpiryDays,
      multipartThresholdBytes: config.multipartThresholdBytes,
      ...(config.allowedMimeTypes ? { allowedMimeTypes: config.allowedMimeTypes } : {}),
    },
    sources: new HttpSourceFetcher({ httpHosts: config.sourceUrlHttpHosts, timeoutMs: config.sourceUrlTimeoutMs }),
  });
}

const services = new Map<BudgetName, FileService>();

/**
 * The service for this process, created on first use and reused by later invocations.
 * `budget` bounds each storage call to fit the function's timeout: `write` for saveFile
 * and deleteFile (29 s), `read` for the others (10 s).
 */
export function fileService(budget: BudgetName = 'read'): FileService {
  let service = services.get(budget);
  if (!service) {
    service = createFileService(readConfig(), budget);
    services.set(budget, service);
  }
  return service;
}

let own: OwnObjects | undefined;

/** The caller's own objects by s3ref (downloadS3File). */
export function ownObjects(): OwnObjects {
  own ??= new OwnObjects(createAdapters(readConfig()));
  return own;
}
