import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createEventBridgeClient, EventBridgePublisher } from '../adapters/event-publisher';
import { fileEventsOf, type FileEvent, type ItemChange } from '../core/events';
import { createLogger } from '../http/logger';

const logger = createLogger();
let publisher: EventBridgePublisher | undefined;

/**
 * Consumes the table's stream and puts an event on the bus for each committed create, new
 * version, metadata update and delete of a file (the mapping passes only entity items). The
 * events go out in stream order; when some cannot be published, the first record they came
 * from is reported as failed, so the stream delivers it and every later record again: at least
 * once, possibly twice, never lost while retries last, then the batch goes to the on-failure
 * destination.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  publisher ??= new EventBridgePublisher({
    client: createEventBridgeClient({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint: process.env.EVENTS_ENDPOINT }),
    eventBusName: required('EVENT_BUS_NAME'),
  });
  const events: Array<{ event: FileEvent; record: DynamoDBRecord }> = event.Records.flatMap((record) => {
    const change = changeOf(record);
    return change ? fileEventsOf(change).map((fileEvent) => ({ event: fileEvent, record })) : [];
  });
  if (events.length === 0) return { batchItemFailures: [] };

  const outcome = await publisher.publish(events.map((item) => item.event));
  const unpublished = events[outcome.published];
  if (!unpublished) {
    logger.info('file events published', { count: events.length });
    return { batchItemFailures: [] };
  }
  const itemIdentifier = unpublished.record.dynamodb?.SequenceNumber ?? '';
  logger.error('file events not published', { published: outcome.published, of: events.length, from: itemIdentifier, error: outcome.error });
  return { batchItemFailures: [{ itemIdentifier }] };
}

function changeOf(record: DynamoDBRecord): ItemChange | undefined {
  if (!record.eventName) return undefined;
  const image = (value: unknown) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);
  const seconds = record.dynamodb?.ApproximateCreationDateTime;
  const oldImage = image(record.dynamodb?.OldImage);
  const newImage = image(record.dynamodb?.NewImage);
  return {
    kind: record.eventName,
    ...(oldImage ? { oldImage } : {}),
    ...(newImage ? { newImage } : {}),
    ...(seconds !== undefined ? { recordedAt: new Date(seconds * 1000).toISOString() } : {}),
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}
