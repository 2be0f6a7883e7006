import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoFileRepository, intentOfImage } from '../../../lambdas/adapters/dynamo-file-repository';
import type { FileRecord, FileVersion } from '../../../lambdas/core/model';
import { AlreadySavedError, IntentConflictError, InvalidItemError, StaleWriteError } from '../../../lambdas/core/ports';
import type { SaveIntent, UploadClaim } from '../../../lambdas/core/ports';

const ddb = mockClient(DynamoDBDocumentClient);
const table = 'files-table';
const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
const uploadId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function repository(): DynamoFileRepository {
  return new DynamoFileRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })), table);
}

function version(number: number): FileVersion {
  return {
    version: number,
    s3ref: { bucket: 'b', key: `files/o/${id}/v${number}` },
    filename: `v${number}.txt`,
    mime_type: 'text/plain',
    size_bytes: number,
    created_at: '2024-01-01T00:00:00.000Z',
    created_by: 'u',
  };
}

function record(org: string, latest: number): FileRecord {
  return {
    id, org, title: 't', filename: 'f', type: 'text', mime_type: 'text/plain', size_bytes: 1,
    access_control: 'private', tags: [], relations: [], created_at: 'c', created_by: 'u', updated_at: 'u',
    latest_version: latest, s3ref: version(latest).s3ref, status: 'active',
  };
}

function claim(version: number): UploadClaim {
  return { org: 'o', upload_id: uploadId, file_id: id, version, created: version === 1, expires_at: 2_000_000_000 };
}

const intent: SaveIntent = { org: 'o', upload_id: uploadId, key: `files/o/${id}/${uploadId}/f.txt`, etag: '"abc"', expires_at: 2_000_000_000 };

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({ message: 'cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
}

beforeEach(() => {
  ddb.reset();
});

describe('DynamoFileRepository', () => {
  it("keys every item by org and id, so an org's read cannot reach another org's file", async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    await repository().get('a/b', id);
    await repository().get('a', id);

    // Assess
    const keys = ddb.commandCalls(GetCommand).map((call) => call.args[0].input.Key?.pk);
    expect(keys).toEqual([`FILE#a%2Fb#${id}`, `FILE#a#${id}`]);
  });

  it('returns a stored entity without its table keys', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { pk: 'p', sk: 'FILE', ...record('o', 1) } });

    // Act
    const found = await repository().get('o', id);

    // Assess
    expect(found).toEqual(record('o', 1));
  });

  it('lists versions newest first across every page of the query', async () => {
    // Prepare
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [version(3), version(2)], LastEvaluatedKey: { pk: 'p', sk: 'VERSION#0000000002' } })
      .resolvesOnce({ Items: [version(1)] });

    // Act
    const versions = await repository().listVersions('o', id);

    // Assess
    expect(versions.map((item) => item.version)).toEqual([3, 2, 1]);
    const calls = ddb.commandCalls(QueryCommand);
    expect(calls[1]?.args[0].input.ExclusiveStartKey).toEqual({ pk: 'p', sk: 'VERSION#0000000002' });
    expect(calls[0]?.args[0].input).toMatchObject({ ScanIndexForward: false, ConsistentRead: true });
  });

  it.each([['ConditionalCheckFailed'], ['TransactionConflict']])(
    'turns a transaction cancelled by %s into StaleWriteError',
    async (code) => {
      // Prepare
      ddb.on(TransactWriteCommand).rejects(cancelled('None', code));

      // Act
      const attempt = repository().addVersion(record('o', 2), version(2), claim(2), record('o', 1));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(StaleWriteError);
    },
  );

  it('turns a transaction whose upload claim was refused into AlreadySavedError, even when the entity moved too', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'ConditionalCheckFailed'));

    // Act
    const attempt = repository().addVersion(record('o', 2), version(2), claim(2), record('o', 1));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AlreadySavedError);
  });

  it('turns a transaction cancelled because an item cannot be stored into InvalidItemError, the request’s fault', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(cancelled('ValidationError', 'None'));

    // Act
    const attempt = repository().create(record('o', 1), version(1), claim(1));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidItemError);
  });

  it('passes on a transaction cancelled for another reason, which retrying would not fix', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(cancelled('ItemCollectionSizeLimitExceeded', 'None'));

    // Act
    const attempt = repository().create(record('o', 1), version(1), claim(1));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TransactionCanceledException);
  });

  it('creates entity and version only where neither exists yet', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    await repository().create(record('o', 1), version(1), claim(1));

    // Assess
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((item) => item.Put?.ConditionExpression)).toEqual([
      'attribute_not_exists(pk)',
      'attribute_not_exists(pk)',
      'attribute_not_exists(pk)',
    ]);
    expect(items.map((item) => item.Put?.Item?.sk)).toEqual(['FILE', 'VERSION#0000000001', 'UPLOAD']);
  });

  it('marks a file as deleting, and answers undefined for a file that does not exist', async () => {
    // Prepare
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { pk: 'p', sk: 'FILE', ...record('o', 1), status: 'deleting' } })
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // Act
    const marked = await repository().markDeleting('o', id);
    const missing = await repository().markDeleting('o', id);

    // Assess
    expect(marked).toMatchObject({ id, status: 'deleting' });
    expect(marked).not.toHaveProperty('pk');
    expect(missing).toBeUndefined();
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.ConditionExpression).toBe('attribute_exists(pk)');
  });

  it('removes the whole item collection, the relations and the links’ lookups in batches of 25, the entity last, and retries unprocessed deletes', async () => {
    // Prepare
    const unprocessed = [{ DeleteRequest: { Key: { pk: 'p', sk: 'VERSION#0000000003' } } }];
    ddb.on(BatchWriteCommand).resolvesOnce({ UnprocessedItems: { [table]: unprocessed } }).resolves({});
    const collection = [
      { pk: `FILE#o#${id}`, sk: 'FILE' },
      ...Array.from({ length: 28 }, (_, index) => ({ pk: `FILE#o#${id}`, sk: `VERSION#${String(index + 1).padStart(10, '0')}` })),
      { pk: `FILE#o#${id}`, sk: 'LINK#abcdefghijklmnopqrstuvwxyz012345' },
    ];
    ddb.on(QueryCommand).resolvesOnce({ Items: collection.slice(0, 10), LastEvaluatedKey: collection[9] }).resolves({ Items: collection.slice(10) });
    const related = { ...record('o', 29), relations: [{ entity_id: 'order-1' }, { entity_id: 'order-1', _tags: ['x'] }] };

    // Act
    await repository().remove(related);

    // Assess
    const batches = ddb.commandCalls(BatchWriteCommand).map((call) =>
      (call.args[0].input.RequestItems?.[table] ?? []).map((request) => request.DeleteRequest?.Key?.sk as string),
    );
    expect(batches.map((batch) => batch.length)).toEqual([25, 1, 7]);
    expect(batches[1]).toEqual(['VERSION#0000000003']);
    expect(batches.flat().at(-1)).toBe('FILE');
    expect(batches.flat()).toContain(`c#${id}`);
    const keys = ddb.commandCalls(BatchWriteCommand).flatMap((call) => (call.args[0].input.RequestItems?.[table] ?? []).map((request) => request.DeleteRequest?.Key));
    expect(keys).toContainEqual({ pk: 'LINK#abcdefghijklmnopqrstuvwxyz012345', sk: 'LINK' });
    expect(keys).toContainEqual({ pk: `FILE#o#${id}`, sk: 'LINK#abcdefghijklmnopqrstuvwxyz012345' });
    expect(new Set(batches.flat()).size).toBe(32);
  });

  it('reads every item of the base table consistently, so a read right after a write finds it', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    const repo = repository();

    // Act
    await repo.get('o', id);
    await repo.getVersion('o', id, 1);
    await repo.listVersions('o', id);
    await repo.getClaim('o', uploadId);
    await repo.getIntent('o', uploadId);

    // Assess
    const reads = [...ddb.commandCalls(GetCommand), ...ddb.commandCalls(QueryCommand)].map((call) => call.args[0].input);
    expect(reads).toHaveLength(5);
    for (const input of reads) expect(input).toMatchObject({ ConsistentRead: true });
  });

  it('records an intent unless other bytes or another key hold it, then checks the claim consistently', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).resolves({});

    // Act
    await repository().recordIntent(intent);

    // Assess
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: `INTENT#o#${uploadId}`, sk: 'INTENT', key: intent.key, etag: intent.etag, expires_at: intent.expires_at },
      ConditionExpression: 'attribute_not_exists(pk) OR (etag = :etag AND #key = :key)',
    });
    const claimRead = ddb.commandCalls(GetCommand)[0];
    expect(claimRead?.args[0].input).toMatchObject({ Key: { pk: `UPLOAD#o#${uploadId}`, sk: 'UPLOAD' }, ConsistentRead: true });
    expect(claimRead?.calledAfter(ddb.commandCalls(PutCommand)[0]!)).toBe(true);
  });

  it('refuses an intent held by another save with IntentConflictError', async () => {
    // Prepare
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    // Act
    const attempt = repository().recordIntent(intent);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(IntentConflictError);
  });

  it('answers AlreadySavedError and forgets the intent when the upload turns out claimed', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).resolves({ Item: { pk: 'p', sk: 'UPLOAD', ...claim(1) } });
    ddb.on(DeleteCommand).resolves({});

    // Act
    const attempt = repository().recordIntent(intent);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AlreadySavedError);
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({ pk: `INTENT#o#${uploadId}`, sk: 'INTENT' });
  });

  it('forgets an intent only while it is still the same bytes and key, and quietly when it is not', async () => {
    // Prepare
    ddb.on(DeleteCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'no', $metadata: {} })).resolves({});

    // Act
    await repository().forgetIntent(intent);
    await repository().forgetIntent(intent);

    // Assess
    const input = ddb.commandCalls(DeleteCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Key: { pk: `INTENT#o#${uploadId}`, sk: 'INTENT' },
      ConditionExpression: 'etag = :etag AND #key = :key',
      ExpressionAttributeValues: { ':etag': intent.etag, ':key': intent.key },
    });
  });

  it("turns DynamoDB's ValidationException (an item over 400 KB) into InvalidItemError", async () => {
    // Prepare
    const refused = Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
    ddb.on(TransactWriteCommand).rejects(refused);

    // Act
    const attempt = repository().create(record('o', 1), version(1), claim(1));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidItemError);
  });

  it('reads a save intent back from a stream image and nothing else', () => {
    // Prepare
    const image = { pk: `INTENT#o#${uploadId}`, sk: 'INTENT', ...intent };

    // Act
    const found = [intentOfImage(image), intentOfImage({ ...image, pk: `UPLOAD#o#${uploadId}`, sk: 'UPLOAD' }), intentOfImage({ pk: 'INTENT#x', sk: 'INTENT' })];

    // Assess
    expect(found).toEqual([intent, undefined, undefined]);
  });
});
