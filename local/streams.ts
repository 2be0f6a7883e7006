import { readFile, writeFile } from 'node:fs/promises';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type DynamoDBStreamsClient,
  type _Record as StreamsRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/**
 * Lambda's event source mapping for a DynamoDB stream, run against DynamoDB Local's stream:
 * it reads every shard in order (a parent before its children), turns the records into the
 * DynamoDBStreamEvent a Lambda receives, keeps only those matching the consumer's filter
 * patterns, and invokes the consumer. A batch is done when the consumer reports no failed
 * record; a reported record is delivered again with everything after it, a failed invocation
 * the whole batch again, after a pause, for as long as it takes: records are never skipped
 * (on AWS, retries are bounded and the rest goes to the on-failure destination).
 *
 * With `checkpointFile`, how far each shard got survives a restart, so a stream kept on disk
 * is not replayed; without one, reading starts at the oldest record.
 */

/** Receives a batch; undefined or a thrown error means the invocation failed. */
export type StreamConsumerInvoke = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

export interface StreamPollerOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  region: string;
  invoke: StreamConsumerInvoke;
  /** Event filter patterns, as the mapping's FilterCriteria; a record passes when it matches any. */
  filters?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Most records per invocation; default 100, as Lambda's. */
  batchSize?: number;
  /** Pause between reads of an idle stream; default 200 ms. */
  intervalMs?: number;
  checkpointFile?: string;
  log?: (line: string) => void;
}

export interface StreamPoller {
  stop(): Promise<void>;
}

interface ShardState {
  id: string;
  parent?: string;
  iterator?: string;
  /** Fetched records the consumer has not yet taken, in order. */
  pending: DynamoDBRecord[];
  /** The last sequence number read from the shard, delivered or not. */
  lastRead?: string;
  /** The last sequence number the consumer is done with (or that the filters left out). */
  done?: string;
  /** Consecutive failed deliveries, for the pause before the next. */
  failures: number;
  closed: boolean;
}

const maxPauseMs = 5000;

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? 100;
  const intervalMs = options.intervalMs ?? 200;
  const checkpoint = await readCheckpoint(options.checkpointFile, options.streamArn);
  const shards = new Map<string, ShardState>();
  const finished = new Set<string>(checkpoint.finished);
  let stopped = false;
  // Pauses end early when the poller stops, so stopping never waits out a back-off.
  let wake = () => {};
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const discover = async () => {
    let start: string | undefined;
    do {
      const { StreamDescription } = await options.client.send(
        new DescribeStreamCommand({ StreamArn: options.streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }),
      );
      for (const shard of StreamDescription?.Shards ?? []) addShard(shard);
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  };

  const addShard = (shard: Shard) => {
    if (!shard.ShardId || shards.has(shard.ShardId) || finished.has(shard.ShardId)) return;
    const lastRead = checkpoint.shards[shard.ShardId];
    shards.set(shard.ShardId, {
      id: shard.ShardId,
      ...(shard.ParentShardId ? { parent: shard.ParentShardId } : {}),
      ...(lastRead ? { lastRead, done: lastRead } : {}),
      pending: [],
      failures: 0,
      closed: false,
    });
  };

  const saveCheckpoint = async () => {
    if (!options.checkpointFile) return;
    const positions = Object.fromEntries([...shards.values()].flatMap((shard) => (shard.done ? [[shard.id, shard.done]] : [])));
    await writeFile(options.checkpointFile, JSON.stringify({ streamArn: options.streamArn, shards: positions, finished: [...finished] }));
  };

  /** One step of one shard; true when it did some work (so the next step comes without a pause). */
  const step = async (shard: ShardState): Promise<boolean> => {
    if (shard.parent && shards.has(shard.parent)) return false; // the parent's records come first
    if (shard.pending.length > 0) return deliver(shard);
    if (shard.closed) {
      shards.delete(shard.id);
      finished.add(shard.id);
      await saveCheckpoint();
      return true;
    }
    shard.iterator ??= await iteratorOf(shard);
    const page = await options.client.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: batchSize }));
    const records = page.Records ?? [];
    if (page.NextShardIterator) shard.iterator = page.NextShardIterator;
    else shard.closed = true;
    if (records.length === 0) return shard.closed;
    shard.lastRead = records.at(-1)?.dynamodb?.SequenceNumber ?? shard.lastRead;
    shard.pending = records.map((record) => lambdaRecord(record, options)).filter((record) => matchesAny(record, options.filters));
    if (shard.pending.length === 0) await markDone(shard);
    return true;
  };

  const markDone = async (shard: ShardState) => {
    if (shard.lastRead) shard.done = shard.lastRead;
    await saveCheckpoint();
  };

  const iteratorOf = async (shard: ShardState): Promise<string> => {
    const request = { StreamArn: options.streamArn, ShardId: shard.id };
    let answer;
    try {
      answer = await options.client.send(
        new GetShardIteratorCommand(
          shard.lastRead
            ? { ...request, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastRead }
            : { ...request, ShardIteratorType: 'TRIM_HORIZON' },
        ),
      );
    } catch (error) {
      // A stream keeps records for 24 hours: a position older than that is gone, so reading starts at the oldest kept.
      if (!(error instanceof TrimmedDataAccessException)) throw error;
      log(`local stream: records after ${shard.lastRead ?? 'the start'} of shard ${shard.id} were trimmed; reading from the oldest kept`);
      answer = await options.client.send(new GetShardIteratorCommand({ ...request, ShardIteratorType: 'TRIM_HORIZON' }));
    }
    if (!answer.ShardIterator) throw new Error(`No iterator for shard ${shard.id}`);
    return answer.ShardIterator;
  };

  const deliver = async (shard: ShardState): Promise<boolean> => {
    if (shard.failures > 0) await pause(Math.min(maxPauseMs, 100 * 2 ** (shard.failures - 1)));
    if (stopped) return false;
    const batch = shard.pending.slice(0, batchSize);
    let response: DynamoDBBatchResponse | undefined;
    try {
      response = await options.invoke({ Records: batch });
    } catch (error) {
      log(`local stream: the consumer failed: ${(error as Error).message}`);
    }
    const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
    if (!response) {
      shard.failures += 1;
    } else if (failed !== undefined) {
      // As Lambda does: the records before the reported one are done, the rest come again.
      const at = batch.findIndex((record) => record.dynamodb?.SequenceNumber === failed);
      shard.pending = shard.pending.slice(Math.max(at, 0));
      shard.failures += 1;
      log(`local stream: the consumer reported record ${failed} as failed; delivering it again`);
    } else {
      shard.pending = shard.pending.slice(batch.length);
      shard.failures = 0;
      if (shard.pending.length === 0) await markDone(shard);
    }
    return true;
  };

  const loop = async () => {
    let sinceDiscovery = 0;
    while (!stopped) {
      let busy = false;
      try {
        // New shards appear when DynamoDB splits or rolls a shard over.
        if (shards.size === 0 || sinceDiscovery >= 25) {
          await discover();
          sinceDiscovery = 0;
        }
        sinceDiscovery += 1;
        for (const shard of [...shards.values()]) busy = (await step(shard)) || busy;
      } catch (error) {
        if (stopped) break;
        log(`local stream: reading ${options.streamArn} failed: ${(error as Error).message}`);
        for (const shard of shards.values()) delete shard.iterator; // an expired iterator is renewed
      }
      if (!busy) await pause(intervalMs);
    }
  };

  await discover();
  const running = loop();
  return {
    async stop() {
      stopped = true;
      wake();
      await running;
    },
  };
}

/** The record as Lambda hands it over: times in epoch seconds, binary values in base64. */
function lambdaRecord(record: StreamsRecord, where: { streamArn: string; region: string }): DynamoDBRecord {
  const { dynamodb, ...rest } = record;
  const created = dynamodb?.ApproximateCreationDateTime;
  return JSON.parse(
    JSON.stringify({
      ...rest,
      awsRegion: where.region,
      eventSourceARN: where.streamArn,
      dynamodb: { ...dynamodb, ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}) },
    }),
    (_key, value: unknown) => (isBufferJson(value) ? Buffer.from(value.data).toString('base64') : value),
  ) as DynamoDBRecord;
}

function isBufferJson(value: unknown): value is { type: 'Buffer'; data: number[] } {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data);
}

/**
 * Whether a record matches any pattern (none means all). The subset of EventBridge's pattern
 * language the service's mappings use: nested objects, lists of exact values, `prefix`.
 */
export function matchesAny(record: unknown, patterns: ReadonlyArray<Readonly<Record<string, unknown>>> | undefined): boolean {
  return !patterns?.length || patterns.some((pattern) => matches(record, pattern));
}

function matches(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((rule) => matchesRule(value, rule));
  if (typeof pattern !== 'object' || pattern === null) throw new Error(`Unsupported filter pattern: ${JSON.stringify(pattern)}`);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) => matches((value as Record<string, unknown>)[key], inner));
}

function matchesRule(value: unknown, rule: unknown): boolean {
  if (typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean' || rule === null) return value === rule;
  const prefix = (rule as { prefix?: unknown }).prefix;
  if (typeof prefix === 'string' && Object.keys(rule as object).length === 1) return typeof value === 'string' && value.startsWith(prefix);
  throw new Error(`Unsupported filter rule: ${JSON.stringify(rule)}`);
}

async function readCheckpoint(file: string | undefined, streamArn: string): Promise<{ shards: Record<string, string>; finished: string[] }> {
  const empty = { shards: {}, finished: [] };
  if (!file) return empty;
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as { streamArn?: string; shards?: Record<string, string>; finished?: string[] };
    // A new table has a new stream: its positions start over.
    return saved.streamArn === streamArn ? { shards: saved.shards ?? {}, finished: saved.finished ?? [] } : empty;
  } catch {
    return empty;
  }
}
