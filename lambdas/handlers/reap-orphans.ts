import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { intentOfImage } from '../adapters/dynamo-file-repository';
import { readConfig } from '../config';
import { OrphanReaper } from '../core/orphan-reaper';
import type { SaveIntent } from '../core/ports';
import { createLogger } from '../http/logger';
import { createAdapters } from '../wiring';

const logger = createLogger();
let reaper: OrphanReaper | undefined;

/**
 * Consumes the table's stream: each save intent the table's TTL removed hands its copy to the
 * orphan reaper. The event source mapping already passes only TTL removals of intents; other
 * records are skipped here too. A failure reports its record, so the stream retries from there
 * and, once retries run out, the batch goes to the dead-letter queue.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  reaper ??= new OrphanReaper(createAdapters(readConfig()));
  for (const record of event.Records) {
    const intent = expiredIntentOf(record);
    if (!intent) continue;
    try {
      const outcome = await reaper.reap(intent);
      logger.info('orphan reaper', { key: intent.key, outcome });
    } catch (error) {
      logger.error('orphan reaper failed', { key: intent.key, error: String(error) });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}

/** The intent of a record that is DynamoDB's own TTL deletion of one, else undefined. */
function expiredIntentOf(record: DynamoDBRecord): SaveIntent | undefined {
  const byTtl = record.userIdentity?.type === 'Service' && record.userIdentity?.principalId === 'dynamodb.amazonaws.com';
  const image = record.dynamodb?.OldImage;
  if (record.eventName !== 'REMOVE' || !byTtl || !image) return undefined;
  return intentOfImage(unmarshall(image as Record<string, AttributeValue>));
}
