import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { eventSource } from '../lambdas/core/events';
import { operations, orphanReaper, publishEvents, renderPreviews, type Permission, type RouteThrottle } from '../lambdas/operations';
import { permissionGrants } from '../lib/permissions';
import type { ApiEvent } from '../lambdas/http/handler';
import { localPages } from './pages';
import { startLocalApi } from './api';
import { createLocalAuth } from './auth';
import type { LocalAuth } from './auth';
import { ensureTable, startLocalDynamoDb } from './dynamodb';
import { startDynamoDbFront } from './dynamodb-front';
import { startEventsFront, type EventsFront, type LocalWebhook } from './events-front';
import { Faults, type FaultSpec, type FrontCall } from './faults';
import { handlerFileOf, integrationFailure, routesFor, startLocalFunctions } from './functions';
import { LocalIam, localAccount, type Authorization } from './iam/principals';
import { startLocalS3 } from './s3';
import { startStreamPoller } from './streams';
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
  /** A declared size above this is uploaded in parts (MULTIPART_THRESHOLD_BYTES, like the CDK prop); default 5 GiB. */
  multipartThresholdBytes?: number;
  /** Types a file may have (ALLOWED_MIME_TYPES, like the CDK prop `allowedMimeTypes`); default all. */
  allowedMimeTypes?: string[];
  /** Hosts a save's source_url may fetch over plain http (SOURCE_URL_HTTP_HOSTS, the CDK prop `sourceUrlHttpHosts`). */
  sourceUrlHttpHosts?: string[];
  /** How long fetching a source_url may take (SOURCE_URL_TIMEOUT_MS, the CDK prop `sourceUrlTimeout`; default 20 s). */
  sourceUrlTimeoutMs?: number;
  /**
   * Objects of at least this many bytes are copied in parallel parts (COPY_PART_THRESHOLD_BYTES,
   * like the CDK prop `copyPartThresholdBytes`); default 256 MiB.
   */
  copyPartThresholdBytes?: number;
  /** How often DynamoDB TTL is emulated (default 60 s; 0 = only through `expireItems`). */
  ttlIntervalMs?: number;
  /** Receives TTL deletions as the DynamoDB Streams events a stream consumer Lambda gets. */
  onExpired?: ExpiredItemsListener;
  /** The throttle of each route reached without a token (default the CDK stack's). */
  publicThrottle?: RouteThrottle;
  /**
   * Tests only: replaces the permissions of these operations, to prove that the local stack
   * refuses what their IAM policy would not allow.
   */
  permissions?: Readonly<Record<string, readonly Permission[]>>;
  /**
   * Where each file event is appended as a JSON line; default `events.ndjson` in `dataDir`,
   * none without one.
   */
  eventsFile?: string;
  /**
   * Where each file event is POSTed as JSON; default EVENTS_WEBHOOK_URL (with
   * EVENTS_WEBHOOK_SECRET in the header EVENTS_WEBHOOK_SECRET_HEADER, default x-webhook-secret).
   */
  eventsWebhook?: LocalWebhook;
  /**
   * Tests only: false leaves out the bus rule that renders each new version's default
   * preview ahead of time (renderPreviews), to observe previewFile rendering on its own.
   */
  previewsAhead?: boolean;
  /**
   * Serve `POST /local/token`, which hands out a token of the local identity provider (the
   * console's one-click sign-in, the CLI without a token). `npm start` turns it on; default off.
   */
  localSignIn?: boolean;
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
  /** What each function's IAM policy let it do, and what it refused. */
  iam: {
    /** Every action the function was allowed, with the resource. */
    used(functionName: string): Authorization[];
    denied(): Authorization[];
    reset(): void;
    /** The function's own access key, to call S3 or DynamoDB as that function would. */
    credentialsOf(functionName: string): { accessKeyId: string; secretAccessKey: string };
  };
  /** Faults injected at the S3 and DynamoDB fronts, for crash tests over HTTP. */
  faults: {
    inject(fault: FaultSpec): void;
    clear(): void;
    /** The calls since the last clear(), one per SDK invocation, in order. */
    calls(): FrontCall[];
  };
  /** Runs the temp/ expiry as of `at` (default now); returns how many uploads it removed. */
  sweep(at?: Date): Promise<number>;
  /** Runs DynamoDB TTL as of `at` (default now); returns how many items it deleted. */
  expireItems(at?: Date): Promise<number>;
  /** Subscribe to TTL deletions (DynamoDB Streams REMOVE records by the service). */
  ttl: Pick<LocalTtl, 'subscribe'>;
  /** The local event bus: the file events published from the table's stream. */
  events: Pick<EventsFront, 'received' | 'waitFor' | 'busArn' | 'deliveries' | 'waitForDelivery'>;
  stop(): Promise<void>;
}

export const localBucket = 'file-service-local';
export const localTable = 'file-service-local';
export const localEventBus = 'file-service-local';
const region = 'us-east-1';
/**
 * The administrator's credentials: allowed everything, as an account's admin is. Each
 * function gets credentials of its own, limited to the policy CDK renders for it.
 */
const credentials = { accessKeyId: 'LOCALFILESERVICE', secretAccessKey: 'local-file-service-secret' };
const localArns = {
  tableArn: `arn:aws:dynamodb:${region}:${localAccount}:table/${localTable}`,
  bucketArn: `arn:aws:s3:::${localBucket}`,
  eventBusArn: `arn:aws:events:${region}:${localAccount}:event-bus/${localEventBus}`,
};
/** Every function the stack runs: the operations and the table stream's consumers. */
const localFunctions = [...operations, orphanReaper, publishEvents, renderPreviews];

/**
 * Everything `npm start` runs, in this process: DynamoDB Local behind a front that checks
 * signatures and IAM policies, the local S3 (same checks) with its lifecycle sweeper, and the
 * API calling the same handlers Lambda runs, each operation in a worker thread with its own
 * credentials. The process environment is set for the stack, so one stack runs per process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const dataDir = options.dataDir;
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
  };
  const iam = new LocalIam(
    credentials,
    localFunctions.map((fn) => ({
      name: fn.name,
      grants: permissionGrants(options.permissions?.[fn.name] ?? fn.permissions, localArns),
    })),
  );
  const faults = new Faults();
  try {
    // DynamoDB Local (a JVM) is the slowest to start: the fronts, the environment and the
    // functions' cold starts go ahead meanwhile; the front holds calls until it is up.
    const dynamoStarting = startLocalDynamoDb({
      ...(dataDir ? { directory: join(dataDir, 'dynamodb') } : {}),
      credentials,
      region,
    });
    stops.push(async () => (await dynamoStarting).stop());
    const [s3, dynamoFront, auth, eventsFront] = await Promise.all([
      startLocalS3({
        ...(dataDir ? { directory: join(dataDir, 's3'), multipartDirectory: join(dataDir, 's3-multipart') } : {}),
        credentials,
        iam,
        faults,
        region,
        buckets: [localBucket],
        ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
        ...(options.tempExpirationDays !== undefined ? { tempExpirationDays: options.tempExpirationDays } : {}),
        ...(options.sweepIntervalMs !== undefined ? { sweepIntervalMs: options.sweepIntervalMs } : {}),
      }),
      startDynamoDbFront({ target: dynamoStarting.then((dynamo) => dynamo.endpoint), iam, faults, region }),
      createLocalAuth(dataDir ? join(dataDir, 'auth') : undefined),
      startEventsFront({
        busName: localEventBus,
        region,
        iam,
        faults,
        ...(eventsFile(options) ? { eventsFile: eventsFile(options) } : {}),
        ...(eventsWebhook(options) ? { webhook: eventsWebhook(options) } : {}),
        log: (line) => console.error(line),
      }),
    ]);
    stops.push(s3.stop, dynamoFront.stop, eventsFront.stop);

    Object.assign(process.env, {
      TABLE_NAME: localTable,
      BUCKET_NAME: localBucket,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      S3_ENDPOINT: s3.endpoint,
      DYNAMODB_ENDPOINT: dynamoFront.endpoint,
      EVENTS_ENDPOINT: eventsFront.endpoint,
      EVENT_BUS_NAME: localEventBus,
      POWERTOOLS_SERVICE_NAME: 'file-service',
      ...(options.maxUploadBytes ? { MAX_UPLOAD_BYTES: String(options.maxUploadBytes) } : {}),
      ...(options.multipartThresholdBytes ? { MULTIPART_THRESHOLD_BYTES: String(options.multipartThresholdBytes) } : {}),
      ...(options.allowedMimeTypes ? { ALLOWED_MIME_TYPES: options.allowedMimeTypes.join(',') } : {}),
      ...(options.sourceUrlHttpHosts ? { SOURCE_URL_HTTP_HOSTS: options.sourceUrlHttpHosts.join(',') } : {}),
      ...(options.sourceUrlTimeoutMs ? { SOURCE_URL_TIMEOUT_MS: String(options.sourceUrlTimeoutMs) } : {}),
      ...(options.copyPartThresholdBytes ? { COPY_PART_THRESHOLD_BYTES: String(options.copyPartThresholdBytes) } : {}),
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const warming = startLocalFunctions(
      localFunctions.map((fn) => {
        const own = iam.credentialsOf(fn.name);
        return {
          name: fn.name,
          handlerFile: handlerFileOf(fn),
          env: {
            ...(process.env as Record<string, string>),
            AWS_ACCESS_KEY_ID: own.accessKeyId,
            AWS_SECRET_ACCESS_KEY: own.secretAccessKey,
            AWS_LAMBDA_FUNCTION_NAME: fn.name,
          },
        };
      }),
    );
    stops.push(async () => {
      const functions = await warming.catch(() => []);
      await Promise.all(functions.map((fn) => fn.stop()));
    });

    const dynamo = await dynamoStarting;
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
    const functions = await warming;
    const reaper = functions.find((fn) => fn.name === orphanReaper.name);
    // On AWS the table's stream hands TTL removals of save intents to the reaper Lambda.
    // Locally the TTL emulation hands them over (DynamoDB Local's stream cannot tell a TTL
    // deletion from any other), and the stream poller below carries entity items only.
    if (reaper) ttl.subscribe(async (event) => void (await reaper.invoke(event as unknown as ApiEvent)));

    const publisher = functions.find((fn) => fn.name === publishEvents.name);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: localTable }));
    if (publisher && Table?.LatestStreamArn) {
      const streams = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region, credentials });
      const poller = await startStreamPoller({
        client: streams,
        streamArn: Table.LatestStreamArn,
        region,
        ...(publishEvents.filters ? { filters: publishEvents.filters } : {}),
        ...(dataDir ? { checkpointFile: join(dataDir, 'stream-positions.json') } : {}),
        invoke: async (event) => {
          const result = (await publisher.invoke(event as unknown as ApiEvent)) as unknown;
          // Anything else is the failed invocation's stand-in answer.
          return Array.isArray((result as DynamoDBBatchResponse | undefined)?.batchItemFailures) ? (result as DynamoDBBatchResponse) : undefined;
        },
        log: (line) => console.error(line),
      });
      stops.push(async () => {
        await poller.stop();
        streams.destroy();
      });
    }

    // On AWS a rule on the bus invokes renderPreviews asynchronously with each new file and version.
    const renderer = functions.find((fn) => fn.name === renderPreviews.name);
    if (renderer && options.previewsAhead !== false) {
      const removeRule = eventsFront.addTarget({
        name: renderPreviews.name,
        source: eventSource,
        detailTypes: renderPreviews.detailTypes,
        invoke: async (event) => (await renderer.invoke(event as unknown as ApiEvent)) !== integrationFailure,
      });
      // Before the functions stop, so an invocation they cut short is not retried.
      stops.push(async () => removeRule());
    }

    const api = await startLocalApi({
      routes: routesFor(operations, functions),
      pages: localPages({ auth, signIn: options.localSignIn === true }),
      auth,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      ...(options.publicThrottle ? { publicThrottle: options.publicThrottle } : {}),
    });
    stops.push(api.stop);

    return {
      url: api.url,
      s3Endpoint: s3.endpoint,
      dynamoDbEndpoint: dynamoFront.endpoint,
      bucket: localBucket,
      table: localTable,
      region,
      credentials,
      auth,
      iam: {
        used: (name) => iam.used(name),
        denied: () => iam.denied(),
        reset: () => iam.reset(),
        credentialsOf: (name) => iam.credentialsOf(name),
      },
      faults: {
        inject: (fault) => faults.inject(fault),
        clear: () => faults.clear(),
        calls: () => faults.calls(),
      },
      sweep: (at) => s3.sweep(at),
      expireItems: (at) => ttl.expire(at),
      ttl: { subscribe: (listener) => ttl.subscribe(listener) },
      events: {
        received: () => eventsFront.received(),
        waitFor: (predicate, timeoutMs) => eventsFront.waitFor(predicate, timeoutMs),
        deliveries: () => eventsFront.deliveries(),
        waitForDelivery: (predicate, timeoutMs) => eventsFront.waitForDelivery(predicate, timeoutMs),
        busArn: eventsFront.busArn,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function eventsFile(options: LocalStackOptions): string | undefined {
  return options.eventsFile ?? (options.dataDir ? join(options.dataDir, 'events.ndjson') : undefined);
}

function eventsWebhook(options: LocalStackOptions): LocalWebhook | undefined {
  if (options.eventsWebhook) return options.eventsWebhook;
  const url = process.env.EVENTS_WEBHOOK_URL;
  if (!url) return undefined;
  return {
    url,
    ...(process.env.EVENTS_WEBHOOK_SECRET ? { secret: process.env.EVENTS_WEBHOOK_SECRET } : {}),
    ...(process.env.EVENTS_WEBHOOK_SECRET_HEADER ? { secretHeaderName: process.env.EVENTS_WEBHOOK_SECRET_HEADER } : {}),
  };
}
