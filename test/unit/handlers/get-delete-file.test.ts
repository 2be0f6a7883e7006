import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { BatchWriteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as deleteFile } from '../../../lambdas/handlers/delete-file';
import { handler as getFile } from '../../../lambdas/handlers/get-file';
import { bucket, ddb, entityItem, org, pk, s3, table, useMockedAws, versionItems, versionKey, versionSk } from './aws';
import { apiEvent, bodyOf } from './events';

useMockedAws();

const fileId = '9b2e7c1d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const getEvent = (id: string) => apiEvent({ routeKey: 'GET /v2/files/{id}', path: { id } });
const deleteEvent = (id: string) => apiEvent({ routeKey: 'DELETE /v2/files/{id}', path: { id } });

interface Entity {
  _id: string;
  _org: string;
  s3ref: { key: string };
  versions: Array<{ s3ref: { key: string }; filename: string }>;
}

describe('get-file handler', () => {
  it('answers 404 when the table holds no entity for the org and id', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const result = await getFile(getEvent(fileId));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toMatchObject({ status: 404 });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: table,
      Key: { pk: pk(fileId), sk: 'FILE' },
      ConsistentRead: true,
    });
  });

  it('answers 404 for a file that is being deleted', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: entityItem(fileId, 1, 'deleting') });

    // Act
    const result = await getFile(getEvent(fileId));

    // Assess
    expect(result.statusCode).toBe(404);
  });

  it('answers 200 with the entity and its versions newest first, without table keys', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: entityItem(fileId, 2) });
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 2) });

    // Act
    const result = await getFile(getEvent(fileId));

    // Assess
    expect(result.statusCode).toBe(200);
    const entity = bodyOf<Entity & Record<string, unknown>>(result);
    expect(entity).toMatchObject({ _id: fileId, _org: org, filename: 'v2.pdf', readable_size: '2.0 KB' });
    expect(entity.versions.map((version) => version.filename)).toEqual(['v2.pdf', 'v1.pdf']);
    expect(entity).not.toHaveProperty('pk');
    expect(entity).not.toHaveProperty('status');
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ ScanIndexForward: false });
  });

  it('answers 400 for an id that is not a UUID without reading the table', async () => {
    // Act
    const result = await getFile(getEvent('..%2F..%2Fother'));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('delete-file handler', () => {
  it('deletes the object of every version, then the table items, and answers with the entity', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: entityItem(fileId, 3) });
    ddb.on(UpdateCommand).resolves({ Attributes: entityItem(fileId, 3, 'deleting') });
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 3) });
    ddb.on(BatchWriteCommand).resolves({});
    s3.on(DeleteObjectsCommand).resolves({});

    // Act
    const result = await deleteFile(deleteEvent(fileId));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf<Entity>(result)).toMatchObject({ _id: fileId, versions: expect.any(Array) });
    const objects = s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input;
    expect(objects?.Bucket).toBe(bucket);
    expect(objects?.Delete?.Objects?.map((object) => object.Key).sort()).toEqual(
      [1, 2, 3].map((version) => versionKey(fileId, version)).sort(),
    );
    const batch = ddb.commandCalls(BatchWriteCommand);
    const deletedKeys = batch.flatMap((call) =>
      (call.args[0].input.RequestItems?.[table] ?? []).map((request) => request.DeleteRequest?.Key?.sk),
    );
    expect(deletedKeys.sort()).toEqual(['FILE', versionSk(1), versionSk(2), versionSk(3)]);
    expect(batch[0]?.calledAfter(s3.commandCalls(DeleteObjectsCommand)[0]!)).toBe(true);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.Key).toEqual({ pk: pk(fileId), sk: 'FILE' });
  });

  it('answers 404 for a file that does not exist and deletes nothing', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const result = await deleteFile(deleteEvent(fileId));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(s3.calls()).toHaveLength(0);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });

  it('answers 503 and keeps the table items when S3 fails to delete an object with InternalError, so a retry can finish', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: entityItem(fileId, 1) });
    ddb.on(UpdateCommand).resolves({ Attributes: entityItem(fileId, 1, 'deleting') });
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 2) });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: versionKey(fileId, 1), Code: 'InternalError' }] });

    // Act
    const result = await deleteFile(deleteEvent(fileId));

    // Assess
    expect(result.statusCode).toBe(503);
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(0);
  });
});
