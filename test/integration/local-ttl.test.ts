import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTable, startLocalDynamoDb } from '../../local/dynamodb';
import type { LocalDynamoDb } from '../../local/dynamodb';
import { startLocalStack } from '../../local/stack';
import { Api, tokensFor, uploadFile } from './support/api';
import { startLocalTtl } from '../../local/ttl';
import type { LocalTtl } from '../../local/ttl';

/** DynamoDB TTL, emulated against Amazon's DynamoDB Local, which never expires anything itself. */

const credentials = { accessKeyId: 'LOCALTTL', secretAccessKey: 'local-ttl-secret' };
const region = 'us-east-1';
const table = 'ttl-test';
/**
 * The moment the tests expire "as of": a day ahead of the clock, so every item counted as
 * expired here is still in the future for DynamoDB Local itself.
 */
const now = new Date(Math.ceil(Date.now() / 1000) * 1000 + 24 * 3600 * 1000);
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const yearSeconds = 365 * 24 * 3600;

let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let ttl: LocalTtl;
let received: DynamoDBStreamEvent[];

beforeAll(async () => {
  dynamo = await startLocalDynamoDb({ credentials, region });
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region, credentials });
  await ensureTable(client, table);
  ttl = await startLocalTtl({ client, table, region, intervalMs: 0 });
  ttl.subscribe(async (event) => {
    received.push(event);
  });
});

afterAll(async () => {
  await ttl?.stop();
  client?.destroy();
  await dynamo?.stop();
});

beforeEach(async () => {
  received = [];
  const { Items = [] } = await client.send(new ScanCommand({ TableName: table }));
  for (const item of Items) await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: item.pk!, sk: item.sk! } }));
});

async function put(pk: string, expiresAt?: { N: string } | { S: string }): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: { pk: { S: pk }, sk: { S: 'UPLOAD' }, note: { S: `item ${pk}` }, ...(expiresAt ? { expires_at: expiresAt } : {}) },
    }),
  );
}

async function exists(pk: string): Promise<boolean> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { S: 'UPLOAD' } }, ConsistentRead: true }));
  return Item !== undefined;
}

describe('local DynamoDB TTL', () => {
  it('deletes items whose expires_at has passed and keeps the rest, as DynamoDB TTL does', async () => {
    // Prepare
    await put('expired', { N: String(seconds(now) - 1) });
    await put('expires-this-second', { N: String(seconds(now)) });
    await put('later', { N: String(seconds(now) + 3600) });
    await put('no-ttl');
    await put('ttl-as-text', { S: String(seconds(now) - 3600) });
    await put('ttl-in-milliseconds', { N: String(now.getTime() - 1000) });
    await put('six-years-ago', { N: String(seconds(now) - 6 * yearSeconds) });

    // Act
    const deleted = await ttl.expire(now);

    // Assess
    expect(deleted).toBe(1);
    expect(await exists('expired')).toBe(false);
    for (const kept of ['expires-this-second', 'later', 'no-ttl', 'ttl-as-text', 'ttl-in-milliseconds', 'six-years-ago']) {
      expect(await exists(kept)).toBe(true);
    }
  });

  it('hands each deletion to subscribers as the stream REMOVE record of a TTL deletion', async () => {
    // Prepare
    const expiresAt = String(seconds(now) - 60);
    await put('claim-1', { N: expiresAt });

    // Act
    await ttl.expire(now);

    // Assess
    expect(received).toHaveLength(1);
    expect(received[0]?.Records).toEqual([
      expect.objectContaining({
        eventName: 'REMOVE',
        eventSource: 'aws:dynamodb',
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        eventSourceARN: expect.stringMatching(new RegExp(`^arn:aws:dynamodb:${region}:\\d{12}:table/${table}/stream/`)),
        dynamodb: expect.objectContaining({
          Keys: { pk: { S: 'claim-1' }, sk: { S: 'UPLOAD' } },
          OldImage: { pk: { S: 'claim-1' }, sk: { S: 'UPLOAD' }, note: { S: 'item claim-1' }, expires_at: { N: expiresAt } },
        }),
      }),
    ]);
  });

  it('sends nothing when nothing has expired, and nothing after unsubscribing', async () => {
    // Prepare
    await put('later', { N: String(seconds(now) + 60) });
    const events: DynamoDBStreamEvent[] = [];
    const unsubscribe = ttl.subscribe(async (event) => {
      events.push(event);
    });
    unsubscribe();

    // Act
    const early = await ttl.expire(now);
    const late = await ttl.expire(new Date(now.getTime() + 120_000));

    // Assess
    expect(early).toBe(0);
    expect(late).toBe(1);
    expect(received).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('delivers removals in batches of at most 100 records, as a stream event source mapping does', async () => {
    // Prepare
    for (let i = 0; i < 150; i++) await put(`bulk-${i}`, { N: String(seconds(now) - 10) });

    // Act
    const deleted = await ttl.expire(now);

    // Assess
    expect(deleted).toBe(150);
    expect(received.map((event) => event.Records.length)).toEqual([100, 50]);
  });

  it('keeps an item that expired by the clock until a removal pass runs, which DynamoDB Local alone would hide at once', async () => {
    // Prepare
    await put('expired-by-the-clock', { N: String(seconds(new Date()) - 10) });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const visibleBefore = await exists('expired-by-the-clock');

    // Act
    const deleted = await ttl.expire();

    // Assess
    expect(visibleBefore).toBe(true);
    expect(deleted).toBe(1);
    expect(await exists('expired-by-the-clock')).toBe(false);
    expect(received.flatMap((event) => event.Records.map((record) => record.dynamodb?.Keys?.pk?.S))).toEqual(['expired-by-the-clock']);
  });

  it('still deletes and keeps delivering to others when one subscriber fails', async () => {
    // Prepare
    const lines: string[] = [];
    const failing = await startLocalTtl({ client, table, region, intervalMs: 0, log: (line) => lines.push(line) });
    const delivered: DynamoDBStreamEvent[] = [];
    failing.subscribe(async () => {
      throw new Error('consumer down');
    });
    failing.subscribe(async (event) => {
      delivered.push(event);
    });
    await put('expired', { N: String(seconds(now) - 1) });

    // Act
    const deleted = await failing.expire(now);
    await failing.stop();

    // Assess
    expect(deleted).toBe(1);
    expect(await exists('expired')).toBe(false);
    expect(delivered).toHaveLength(1);
    expect(lines.join('\n')).toContain('consumer down');
  });
});

describe('TTL in the local stack', () => {
  it('removes a saved upload’s claim once it expires and hands the removal to onExpired', async () => {
    // Prepare
    const events: DynamoDBStreamEvent[] = [];
    const stack = await startLocalStack({
      ttlIntervalMs: 0,
      sweepIntervalMs: 0,
      onExpired: async (event) => {
        events.push(event);
      },
    });
    try {
      const api = new Api(stack.url, (await tokensFor(stack)).own);
      const entity = await uploadFile(api, { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });

      // Act
      const today = await stack.expireItems();
      const inThreeDays = await stack.expireItems(new Date(Date.now() + 3 * 24 * 3600 * 1000));

      // Assess
      expect(today).toBe(0);
      expect(inThreeDays).toBe(1);
      const [record] = events.flatMap((event) => event.Records);
      expect(record?.eventName).toBe('REMOVE');
      expect(record?.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
      expect(record?.dynamodb?.Keys?.pk?.S).toBe(`UPLOAD#org-a#${entity._id}`);
      expect((await api.get(`/v2/files/${entity._id}`)).status).toBe(200);
    } finally {
      await stack.stop();
    }
  });
});
