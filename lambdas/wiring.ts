import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoFileRepository } from './adapters/dynamo-file-repository';
import { S3ObjectStore } from './adapters/s3-object-store';
import type { Config } from './config';
import { readConfig } from './config';
import { FileService } from './core/file-service';
import type { FileRepository, ObjectStore } from './core/ports';

/** The storage adapters and their SDK clients, from configuration. */
export function createAdapters(config: Config): { repository: FileRepository; store: ObjectStore } {
  const s3 = new S3Client({
    region: config.region,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
    // Otherwise the SDK signs a checksum of an empty body into every presigned PUT.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: config.region,
      ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint } : {}),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const objectBaseUrl = config.s3Endpoint
    ? `${config.s3Endpoint.replace(/\/$/, '')}/${config.bucketName}`
    : `https://${config.bucketName}.s3.${config.region}.amazonaws.com`;
  return {
    repository: new DynamoFileRepository(dynamo, config.tableName),
    store: new S3ObjectStore({
      bucket: config.bucketName,
      client: s3,
      objectBaseUrl,
      uploadUrlTtlSeconds: config.uploadUrlTtlSeconds,
      downloadUrlTtlSeconds: config.downloadUrlTtlSeconds,
    }),
  };
}

/** Builds the service and its SDK clients from configuration. */
export function createFileService(config: Config): FileService {
  return new FileService({ ...createAdapters(config), limits: { maxUploadBytes: config.maxUploadBytes, tempExpiryDays: config.tempExpiryDays } });
}

let service: FileService | undefined;

/** The service for this process, created on first use and reused by later invocations. */
export function fileService(): FileService {
  return (service ??= createFileService(readConfig()));
}
