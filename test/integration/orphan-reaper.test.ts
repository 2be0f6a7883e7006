import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue as StreamAttributeValue, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambdas/config';
import { FileService } from '../../lambdas/core/file-service';
import { handler } from '../../lambdas/handlers/reap-orphans';
import { createAdapters } from '../../lambdas/wiring';
import { putBytes, uploadFile } from './support/api';
import type { Ticket } from './support/api';
import { FaultPlan } from './support/faults';
import { useLocalStack } from './support/stack';

/**
 * A save that fails after its copy leaves an intent item in the table. When DynamoDB's TTL
 * deletes that item, the stream hands its old image to the reaper, which removes the copy
 * unless a version references it. Here the TTL deletion is played by hand: the item is
 * deleted, then the handler gets the stream event DynamoDB would send.
 */

const context = useLocalStack();

/** The stream record DynamoDB emits when its TTL process deletes an item. */
function ttlRemoval(item: Record<string, unknown>): DynamoDBStreamEvent {
  const keys = { pk: item.pk, sk: item.sk };
  return {
    Records: [
      {
        eventID: '1',
        eventName: 'REMOVE',
        eventSource: 'aws:dynamodb',
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
        dynamodb: {
          Keys: marshall(keys) as Record<string, StreamAttributeValue>,
          OldImage: marshall(item) as Record<string, StreamAttributeValue>,
          SequenceNumber: '100',
          StreamViewType: 'OLD_IMAGE',
        },
      },
    ],
  };
}

async function expireIntents(org: string): Promise<Array<Record<string, unknown>>> {
  const intents = (await context.storage.documents()).filter((item) => String(item.pk).startsWith(`INTENT#${org}#`));
  const client = new DynamoDBClient({ endpoint: context.stack.dynamoDbEndpoint, region: context.stack.region, credentials: context.stack.credentials });
  for (const intent of intents) {
    await client.send(new DeleteItemCommand({ TableName: context.stack.table, Key: marshall({ pk: intent.pk, sk: intent.sk }) }));
  }
  client.destroy();
  return intents;
}

describe('the orphan reaper', () => {
  it('deletes the copy of a save that failed after copying and was never retried', async () => {
    // Prepare: the commit fails before it reaches the table, so the copy has no version.
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'lost.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('never saved'), 'text/plain');
    const adapters = createAdapters(readConfig());
    const plan = new FaultPlan({ step: 'repository.create', occurrence: 1, mode: 'before' });
    const failing = new FileService({
      repository: plan.wrap('repository', adapters.repository, ['create']),
      store: adapters.store,
      limits: { maxUploadBytes: 1024 * 1024 },
    });
    await expect(failing.save({ org: 'org-a', userId: 'alice' }, { s3ref: ticket.body.s3ref }, { deleteTempFile: true, versionOnly: false })).rejects.toMatchObject({ status: 503 });
    const uploadId = ticket.body.s3ref.key.split('/')[2] ?? '';
    const orphans = await context.storage.keys(`files/org-a/${uploadId}/`);
    expect(orphans).toHaveLength(1);
    const [intent] = (await expireIntents('org-a')).filter((item) => item.upload_id === uploadId);

    // Act
    const result = await handler(ttlRemoval(intent ?? {}));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await context.storage.keys(`files/org-a/${uploadId}/`)).toEqual([]);
  });

  it('keeps an object that a saved version references', async () => {
    // Prepare: the intent the save recorded before its commit removed it.
    const file = await uploadFile(context.api, { filename: 'kept.txt', mimeType: 'text/plain', bytes: Buffer.from('saved') });
    const uploadId = file.s3ref.key.split('/')[3] ?? '';
    const intent = {
      pk: `INTENT#org-a#${uploadId}`,
      sk: 'INTENT',
      org: 'org-a',
      upload_id: uploadId,
      key: file.s3ref.key,
      etag: '"whatever"',
      expires_at: 1,
    };

    // Act
    const result = await handler(ttlRemoval(intent));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await context.storage.exists(file.s3ref.key)).toBe(true);
  });

  it('ignores removals that are not TTL expiries of save intents', async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'other.txt', mimeType: 'text/plain', bytes: Buffer.from('x') });
    const uploadId = file.s3ref.key.split('/')[3] ?? '';
    const intent = { pk: `INTENT#org-a#${uploadId}`, sk: 'INTENT', org: 'org-a', upload_id: 'not-claimed', key: file.s3ref.key, etag: '"e"', expires_at: 1 };
    const byUser = ttlRemoval(intent);
    byUser.Records[0]!.userIdentity = undefined;

    // Act
    await handler(byUser);

    // Assess
    expect(await context.storage.exists(file.s3ref.key)).toBe(true);
  });
});
