import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, StreamRecord } from 'aws-lambda';

/**
 * DynamoDB's Time to Live, as AWS runs it: items whose `expires_at` (a Number of epoch
 * seconds, the table's TTL attribute) lies in the past are deleted by the service itself, and
 * each deletion reaches the table's stream as a REMOVE record whose userIdentity names
 * DynamoDB. On AWS this happens in the background, typically within a couple of days of the
 * expiry, never at the moment: correctness must never depend on it.
 *
 * DynamoDB Local does it differently: with TTL enabled it hides expired items from every read
 * within seconds and writes no REMOVE record to its stream. So this module takes TTL over:
 * it turns DynamoDB Local's own TTL off for the table and deletes expired items itself, some
 * time after they expire (every `intervalMs`), as AWS does.
 *
 * Extension point: `subscribe(listener)` (or the local stack's `onExpired` option) hands each
 * batch of removals to a listener as the DynamoDB Streams event a Lambda consumer receives,
 * so a stream handler written for AWS runs unchanged against `npm start`.
 */

/** The table's TTL attribute, as `ensureTable` and the CDK stack enable it. */
export const ttlAttribute = 'expires_at';
/** DynamoDB ignores TTL values more than five years in the past (likely milliseconds or a mistake). */
const maxPastSeconds = 5 * 365 * 24 * 60 * 60;
/** A Lambda event source mapping's default batch size for DynamoDB streams. */
const batchSize = 100;
const localAccount = '000000000000';

/** Receives TTL removals as a Lambda consumer of the table's stream would. */
export type ExpiredItemsListener = (event: DynamoDBStreamEvent) => Promise<void>;

export type Item = Record<string, AttributeValue>;

/** One item TTL deleted: its key and the whole item as it was deleted. */
export interface Removal {
  keys: Item;
  oldImage: Item;
  /** When the deletion happened. */
  at: Date;
}

export interface LocalTtlOptions {
  client: DynamoDBClient;
  table: string;
  region: string;
  /** How often expired items are removed; default 60 s; 0 only on demand through `expire()`. */
  intervalMs?: number;
  log?: (line: string) => void;
}

export interface LocalTtl {
  /**
   * Deletes the items expired as of `at` (default now) and hands them to the listeners;
   * resolves to how many were deleted. Runs after any removal pass already under way.
   */
  expire(at?: Date): Promise<number>;
  /** Adds a listener for TTL removals; returns a function that removes it again. */
  subscribe(listener: ExpiredItemsListener): () => void;
  stop(): Promise<void>;
}

export async function startLocalTtl(options: LocalTtlOptions): Promise<LocalTtl> {
  await takeOverTtl(options.client, options.table);
  const log = options.log ?? (() => {});
  const listeners = new Set<ExpiredItemsListener>();
  let keyNames: Promise<string[]> | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const pass = async (at: Date): Promise<number> => {
    keyNames ??= keyAttributesOf(options.client, options.table);
    const removals = await removeExpired(options.client, options.table, await keyNames, at);
    for (let i = 0; i < removals.length; i += batchSize) {
      const event = ttlRemoveEvent(removals.slice(i, i + batchSize), { region: options.region, table: options.table });
      for (const listener of listeners) {
        // As on AWS, a failing consumer does not bring the items back; it is reported, not retried.
        await listener(event).catch((error: unknown) =>
          log(`local TTL: a listener failed on ${event.Records.length} removal(s): ${(error as Error).message}`),
        );
      }
    }
    if (removals.length > 0) log(`local TTL: removed ${removals.length} expired item(s) from ${options.table}`);
    return removals.length;
  };

  const expire = (at: Date = new Date()): Promise<number> => {
    const next = running.then(() => pass(at));
    running = next.catch(() => undefined);
    return next;
  };

  const interval = options.intervalMs ?? 60_000;
  const timer =
    interval > 0
      ? setInterval(() => {
          expire().catch((error: Error) => log(`local TTL: removal failed: ${error.message}`));
        }, interval)
      : undefined;
  timer?.unref();

  return {
    expire,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Turns DynamoDB Local's own TTL off for the table, so expired items stay until removed here. */
async function takeOverTtl(client: DynamoDBClient, table: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
  if (TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: TimeToLiveDescription.AttributeName ?? ttlAttribute, Enabled: false },
    }),
  );
}

async function keyAttributesOf(client: DynamoDBClient, table: string): Promise<string[]> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  return (Table?.KeySchema ?? []).flatMap((key) => (key.AttributeName ? [key.AttributeName] : []));
}

/**
 * Scans for items expired as of `at` and deletes each on the condition that it is still
 * expired, so an item whose expiry was pushed back meanwhile stays.
 */
async function removeExpired(client: DynamoDBClient, table: string, keyNames: string[], at: Date): Promise<Removal[]> {
  const now = Math.floor(at.getTime() / 1000);
  const window = {
    ExpressionAttributeNames: { '#ttl': ttlAttribute },
    // Only Number values compare with these, as TTL ignores any other type.
    ExpressionAttributeValues: { ':now': { N: String(now) }, ':oldest': { N: String(now - maxPastSeconds) } },
  };
  const expiredKeys: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: '#ttl < :now AND #ttl >= :oldest',
        ...window,
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
      }),
    );
    for (const item of page.Items ?? []) expiredKeys.push(Object.fromEntries(keyNames.map((name) => [name, item[name] as AttributeValue])));
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  const removals: Removal[] = [];
  for (const keys of expiredKeys) {
    try {
      const { Attributes } = await client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: keys,
          ConditionExpression: '#ttl < :now AND #ttl >= :oldest',
          ...window,
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (Attributes) removals.push({ keys, oldImage: Attributes, at: new Date() });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return removals;
}

/**
 * The DynamoDB Streams event (as a Lambda consumer receives it) for items TTL deleted:
 * REMOVE records with the service as userIdentity, the keys and the old image marshalled.
 */
export function ttlRemoveEvent(
  removals: readonly Removal[],
  where: { region: string; table: string; account?: string; streamLabel?: string },
): DynamoDBStreamEvent {
  const account = where.account ?? localAccount;
  const streamLabel = where.streamLabel ?? 'local';
  const eventSourceARN = `arn:aws:dynamodb:${where.region}:${account}:table/${where.table}/stream/${streamLabel}`;
  return {
    Records: removals.map(
      (removal): DynamoDBRecord => ({
        eventID: randomUUID().replaceAll('-', ''),
        eventName: 'REMOVE',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: where.region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(removal.at.getTime() / 1000),
          Keys: removal.keys as StreamRecord['Keys'],
          OldImage: removal.oldImage as StreamRecord['OldImage'],
          SequenceNumber: nextSequenceNumber(),
          SizeBytes: Buffer.byteLength(JSON.stringify(removal.oldImage)),
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
        // How a consumer tells a TTL deletion from a user's DeleteItem.
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        eventSourceARN,
      }),
    ),
  };
}

let sequence = 0n;
/** Stream sequence numbers grow within a shard; these grow within the process. */
function nextSequenceNumber(): string {
  sequence += 1n;
  return (BigInt(Date.now()) * 1_000_000n + sequence).toString();
}
