import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { operations } from '../lambdas/operations';
import { routesFor, startLocalApi } from './api';
import { createLocalAuth } from './auth';
import type { LocalAuth } from './auth';
import { ensureTable, startLocalDynamoDb } from './dynamodb';
import { startLocalS3 } from './s3';
import { startLocalTtl } from './ttl';
import type { ExpiredItemsListener, LocalTtl } from './ttl';

export interface LocalStackOptions {
  /** API port; 0 or undefined picks a free one. */
  port?: number;
  host?: string;
  /** Keeps table, objects and signing keys here across restarts; undefined = throwaway. */
  dataDir?: string;
  corsOrigins?: string[];
  /**
   * Days after which the temp/ lifecycle rule expires an unsaved upload (default 1, the CDK
   * prop `tempExpiration`), rounded up to midnight UTC as S3 does.
   */
  tempExpirationDays?: number;
  sweepIntervalMs?: number;
  maxUploadBytes?: number;
  /** How often DynamoDB TTL is emulated (default 60 s; 0 = only through `expireItems`). */
  ttlIntervalMs?: number;
  /** Receives TTL deletions as the DynamoDB Streams events a stream consumer Lambda gets. */
  onExpired?: ExpiredItemsListener;
}

export interface LocalStack {
  url: string;
  s3Endpoint: string;
  dynamoDbEndpoint: string;
  bucket: string;
  table: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  auth: LocalAuth;
  /** Runs the temp/ expiry as of `at` (default now); returns how many uploads it removed. */
  sweep(at?: Date): Promise<number>;
  /** Runs DynamoDB TTL as of `at` (default now); returns how many items it deleted. */
  expireItems(at?: Date): Promise<number>;
  /** Subscribe to TTL deletions (DynamoDB Streams REMOVE records by the service). */
  ttl: Pick<LocalTtl, 'subscribe'>;
  stop(): Promise<void>;
}

export const localBucket = 'file-service-local';
export const localTable = 'file-service-local';
const region = 'us-east-1';
/** The local S3 checks signatures against these, as S3 does against IAM credentials. */
const credentials = { accessKeyId: 'LOCALFILESERVICE', secretAccessKey: 'local-file-service-secret' };

/**
 * Everything `npm start` runs, in this process: DynamoDB Local, the signature-checking local
 * S3 with its lifecycle sweeper, and the API calling the same handlers Lambda runs. The
 * handlers read their configuration from the environment, so one stack runs per process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.dataDir;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const [dynamo, s3, auth] = await Promise.all([
      startLocalDynamoDb({ ...(dataDir ? { directory: join(dataDir, 'dynamodb') } : {}), credentials, region }),
      startLocalS3({
        ...(dataDir ? { directory: join(dataDir, 's3') } : {}),
        credentials,
        region,
        buckets: [localBucket],
        ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
        ...(options.tempExpirationDays !== undefined ? { tempExpirationDays: options.tempExpirationDays } : {}),
        ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
      }),
      createLocalAuth(dataDir ? join(dataDir, 'auth') : undefined),
    ]);
    stops.push(dynamo.stop, s3.stop);

    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials });
    stops.push(async () => client.destroy());
    await ensureTable(client, localTable);
    const ttl = await startLocalTtl({
      client,
      table: localTable,
      region,
      ...(options.ttlIntervalMs !== undefined ? { intervalMs: options.ttlIntervalMs } : {}),
      log: (line) => console.error(line),
    });
    stops.push(ttl.stop);
    if (options.onExpired) ttl.subscribe(options.onExpired);

    Object.assign(process.env, {
      TABLE_NAME: localTable,
      BUCKET_NAME: localBucket,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_ENDPOINT: s3.endpoint,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      ...(options.maxUploadBytes ? { MAX_UPLOAD_BYTES: String(options.maxUploadBytes) } : {}),
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const api = await startLocalApi({
      routes: await routesFor(operations),
      auth,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    });
    stops.push(api.stop);

    return {
      url: api.url,
      s3Endpoint: s3.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      bucket: localBucket,
      table: localTable,
      region,
      credentials,
      auth,
      sweep: (at) => s3.sweep(at),
      expireItems: (at) => ttl.expire(at),
      ttl: { subscribe: (listener) => ttl.subscribe(listener) },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
