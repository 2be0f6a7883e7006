import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/publish-events';

const events = mockClient(EventBridgeClient);
const bus = 'files-bus';
let sequence = 100;

function entity(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: `FILE#org-a#${id}`,
    sk: 'FILE',
    id,
    org: 'org-a',
    filename: `${id}.txt`,
    mime_type: 'text/plain',
    size_bytes: 3,
    relations: [],
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: 'alice',
    updated_at: '2026-01-01T00:00:00.000Z',
    latest_version: 1,
    status: 'active',
    ...overrides,
  };
}

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', images: { old?: object; new?: object }): DynamoDBRecord {
  const image = (value?: object) => (value ? (marshall(value) as Record<string, AttributeValue>) : undefined);
  const oldImage = image(images.old);
  const newImage = image(images.new);
  return {
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      ApproximateCreationDateTime: 1767225600,
      SequenceNumber: String((sequence += 1)),
      ...(oldImage ? { OldImage: oldImage } : {}),
      ...(newImage ? { NewImage: newImage } : {}),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function streamOf(...records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

function sentEntries(): Array<{ DetailType?: string; Detail?: string; EventBusName?: string; Source?: string }> {
  return events.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

beforeAll(() => {
  Object.assign(process.env, { EVENT_BUS_NAME: bus, AWS_REGION: 'eu-central-1', AWS_ACCESS_KEY_ID: 'AKIDUNIT', AWS_SECRET_ACCESS_KEY: 'secret' });
  delete process.env.EVENTS_ENDPOINT;
});

beforeEach(() => {
  events.reset();
});

describe('the publishEvents stream handler', () => {
  it('puts one event per entity change on the bus, in stream order', async () => {
    // Prepare
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const created = entity('f1');
    const versioned = entity('f1', { latest_version: 2, updated_at: '2026-01-02T00:00:00.000Z' });

    // Act
    const result = await handler(
      streamOf(
        record('INSERT', { new: created }),
        record('MODIFY', { old: created, new: versioned }),
        record('INSERT', { new: { pk: 'UPLOAD#org-a#u', sk: 'UPLOAD' } }),
        record('REMOVE', { old: { ...versioned, status: 'deleting', deleted_by: 'bob', deleted_at: '2026-01-03T00:00:00.000Z' } }),
      ),
    );

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sentEntries().map((entry) => [entry.DetailType, entry.Source, entry.EventBusName])).toEqual([
      ['FileCreated', 'file-service', bus],
      ['FileVersionAdded', 'file-service', bus],
      ['FileDeleted', 'file-service', bus],
    ]);
    expect(JSON.parse(sentEntries()[2]?.Detail ?? '{}')).toEqual(expect.objectContaining({ file_id: 'f1', actor: 'bob' }));
  });

  it('sends at most ten entries per PutEvents call', async () => {
    // Prepare
    events.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const records = Array.from({ length: 23 }, (_, i) => record('INSERT', { new: entity(`f${i}`) }));

    // Act
    const result = await handler(streamOf(...records));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(events.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(sentEntries().map((entry) => JSON.parse(entry.Detail ?? '{}').file_id)).toEqual(records.map((_, i) => `f${i}`));
  });

  it('sends again only the entries EventBridge refused, until they are accepted', async () => {
    // Prepare: the second entry is throttled once.
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });

    // Act
    const result = await handler(streamOf(record('INSERT', { new: entity('f1') }), record('INSERT', { new: entity('f2') })));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(events.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? '{}').file_id))).toEqual([
      ['f1', 'f2'],
      ['f2'],
    ]);
  });

  it('reports the record of the first event it could not publish, so the stream delivers it and the rest again', async () => {
    // Prepare: the first entry goes through, the second never does.
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }, { EventId: 'c' }] })
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'oops' }] });
    const records = [record('INSERT', { new: entity('f1') }), record('INSERT', { new: entity('f2') }), record('INSERT', { new: entity('f3') })];

    // Act
    const result = await handler(streamOf(...records));

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(4);
  });

  it('reports the first record with an event when the bus cannot be reached at all', async () => {
    // Prepare
    events.on(PutEventsCommand).rejects(new Error('connect ECONNREFUSED'));
    const records = [record('INSERT', { new: { pk: 'UPLOAD#org-a#u', sk: 'UPLOAD' } }), record('INSERT', { new: entity('f1') })];

    // Act
    const result = await handler(streamOf(...records));

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
  });

  it('publishes nothing and reports no failure for a batch without entity changes', async () => {
    // Act
    const result = await handler(streamOf(record('REMOVE', { old: { pk: 'INTENT#org-a#u', sk: 'INTENT' } })));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
