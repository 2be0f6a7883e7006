import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/save-file';
import { bucket, ddb, entityItem, org, s3, table, useMockedAws, versionItems, versionSk } from './aws';
import { apiEvent, bodyOf } from './events';

useMockedAws();

const route = 'POST /v2/files';
const uploadId = '5d7c3b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d';
const tempKey = `temp/${org}/${uploadId}/report.pdf`;
const fileId = '9b2e7c1d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const pdfHead = new TextEncoder().encode('%PDF-1.7\n%\u00e2\u00e3');

/** The first bytes of a stored object, as S3 answers a range request for them. */
function rangeOf(bytes: Uint8Array, size: number, contentType = 'application/pdf'): GetObjectCommandOutput {
  return {
    Body: { transformToByteArray: async () => bytes },
    ContentType: contentType,
    ContentLength: bytes.length,
    ContentRange: `bytes 0-${bytes.length - 1}/${size}`,
    ETag: '"pdf-etag"',
    LastModified: new Date(),
  } as unknown as GetObjectCommandOutput;
}

/** The temp object as S3 answers for it: a 1234-byte PDF, not saved yet (no claim). */
function uploadedPdf(): void {
  s3.on(GetObjectCommand).resolves(rangeOf(pdfHead, 1234));
  // The HEAD beside the range request, for the object's checksum: none for this upload.
  s3.on(HeadObjectCommand).resolves({ ContentLength: 1234, ContentType: 'application/pdf', ETag: '"pdf-etag"', LastModified: new Date() });
  s3.on(CopyObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
  storedEntities();
}

/** GetItem answers: the given entity items in turn (the last one repeats), and no claim or intent. */
function storedEntities(...entities: Array<ReturnType<typeof entityItem>>): void {
  let reads = 0;
  ddb.on(GetCommand).callsFake(async (input: { Key: { sk: string } }) => {
    if (input.Key.sk !== 'FILE' || entities.length === 0) return {};
    const entity = entities[Math.min(reads, entities.length - 1)];
    reads += 1;
    return { Item: entity };
  });
}

/** The transactions that write a version. */
function commits() {
  return ddb.commandCalls(TransactWriteCommand);
}

function transactItems(call = 0) {
  return commits()[call]?.args[0].input.TransactItems ?? [];
}

describe('save-file handler', () => {
  it('copies the upload to a permanent key, writes entity and version 1, deletes the temp object and answers 201', async () => {
    // Prepare
    uploadedPdf();
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(QueryCommand).callsFake(async (input: { ExpressionAttributeValues: Record<string, string> }) => {
      const stored = transactItems()[1]?.Put?.Item;
      return { Items: stored && input.ExpressionAttributeValues[':pk'] === stored.pk ? [stored] : [] };
    });
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey }, filename: 'Report März.pdf' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    const entity = bodyOf<{ _id: string; s3ref: { key: string }; filename: string; versions: unknown[]; type: string }>(result);
    expect(entity).toMatchObject({ filename: 'Report März.pdf', type: 'document', _org: org, size_bytes: 1234 });
    expect(entity.versions).toHaveLength(1);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: bucket, Key: tempKey, Range: 'bytes=0-4099' });
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: bucket, Key: tempKey, ChecksumMode: 'ENABLED' });
    const copy = s3.commandCalls(CopyObjectCommand)[0]?.args[0].input;
    expect(copy?.Key).toBe(entity.s3ref.key);
    expect(copy?.Key).toMatch(new RegExp(`^files/${org}/${entity._id}/${uploadId}/`));
    expect(copy?.CopySource).toBe(`${bucket}/${tempKey}`);
    const [entityPut, versionPut] = transactItems();
    expect(entityPut?.Put).toMatchObject({ TableName: table, ConditionExpression: 'attribute_not_exists(pk)' });
    expect(entityPut?.Put?.Item).toMatchObject({ pk: `FILE#${org}#${entity._id}`, sk: 'FILE', latest_version: 1, status: 'active' });
    expect(versionPut?.Put?.Item).toMatchObject({ sk: versionSk(1), version: 1, s3ref: { bucket, key: copy?.Key } });
    const deleted = s3.commandCalls(DeleteObjectCommand)[0];
    expect(deleted?.args[0].input).toEqual({ Bucket: bucket, Key: tempKey });
    expect(deleted?.calledAfter(commits()[0]!)).toBe(true);
    const intent = ddb.commandCalls(PutCommand)[0];
    expect(intent?.args[0].input.Item).toMatchObject({ pk: `INTENT#${org}#${uploadId}`, key: copy?.Key, etag: '"pdf-etag"' });
    expect(copy?.CopySourceIfMatch).toBe('"pdf-etag"');
    expect(intent?.calledBefore(s3.commandCalls(CopyObjectCommand)[0]!)).toBe(true);
  });

  it('keeps the temp object when delete_temp_file=false', async () => {
    // Prepare
    uploadedPdf();
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey } }, query: { delete_temp_file: 'false' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('adds version 2 to an existing file on condition of the revision it read and answers 200', async () => {
    // Prepare
    uploadedPdf();
    storedEntities(entityItem(fileId, 1));
    ddb.on(TransactWriteCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 2) });
    const event = apiEvent({ routeKey: route, body: { _id: fileId, s3ref: { bucket, key: tempKey } } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ _id: fileId });
    const [entityPut, versionPut] = transactItems();
    expect(entityPut?.Put?.ConditionExpression).toBe('#status = :active AND revision = :revision');
    expect(entityPut?.Put?.ExpressionAttributeValues).toEqual({ ':revision': 1, ':active': 'active' });
    expect(entityPut?.Put?.Item).toMatchObject({ latest_version: 2, revision: 2, s3ref: versionPut?.Put?.Item?.s3ref });
    expect(versionPut?.Put).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', Item: { sk: versionSk(2), version: 2 } });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input.Key).toMatch(new RegExp(`^files/${org}/${fileId}/${uploadId}/`));
  });

  it('retries a transaction cancelled by a concurrent save with the next version number', async () => {
    // Prepare
    uploadedPdf();
    storedEntities(entityItem(fileId, 1), entityItem(fileId, 2));
    const cancelled = new TransactionCanceledException({
      message: 'Transaction cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }],
    });
    ddb.on(TransactWriteCommand).rejectsOnce(cancelled).resolves({});
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 3) });
    const event = apiEvent({ routeKey: route, body: { _id: fileId, s3ref: { bucket, key: tempKey } } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(commits()).toHaveLength(2);
    const [entityPut, versionPut] = transactItems(1);
    expect(entityPut?.Put?.ExpressionAttributeValues).toMatchObject({ ':revision': 2 });
    expect(versionPut?.Put?.Item).toMatchObject({ sk: versionSk(3), version: 3 });
  });

  it('answers 404 when the bytes were never uploaded and the upload was never saved, and writes nothing', async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }));
    storedEntities();
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey } } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(404);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it("answers 403 for another org's temp key without touching S3", async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: `temp/999/${uploadId}/report.pdf` } } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(s3.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 415 when the bytes of a declared PDF are not a PDF', async () => {
    // Prepare
    uploadedPdf();
    s3.on(GetObjectCommand).resolves(rangeOf(new TextEncoder().encode('<html><script>'), 5000));
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey } } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(415);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input.Range).toMatch(/^bytes=0-\d+$/);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('answers 415, not 500, for an empty object declared as PDF', async () => {
    // Prepare: S3 answers 416 InvalidRange to a range request on a zero-byte object.
    uploadedPdf();
    s3.on(HeadObjectCommand).resolves({ ContentLength: 0, ContentType: 'application/pdf', ETag: '"empty"', LastModified: new Date() });
    const invalidRange = new S3ServiceException({ name: 'InvalidRange', $fault: 'client', $metadata: { httpStatusCode: 416 }, message: 'The requested range is not satisfiable' });
    s3.on(GetObjectCommand).rejects(invalidRange);
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey } } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(415);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers 413 naming the limit for metadata that cannot fit in one item, before touching S3 or the table', async () => {
    // Prepare: about 600 KB of relations and their tags within their counts, under the 1 MB
    // body limit, over the 400 KB item limit.
    const relations = Array.from({ length: 40 }, (_, index) => ({
      entity_id: `${index}-${'e'.repeat(240)}`,
      _tags: Array.from({ length: 20 }, (_, tag) => `${tag}${'€'.repeat(250)}`),
    }));
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey }, relations } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(413);
    expect(bodyOf<{ error: string }>(result).error).toContain('the limit is 262144 bytes');
    expect(s3.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 400 for a save without s3ref, content_base64 or source_url', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: 'a.pdf' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(result).error).toContain('s3ref is required');
  });

  it('answers 400 for a save with both an s3ref and a source_url, fetching and storing nothing', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { s3ref: { bucket, key: tempKey }, source_url: 'https://example.com/a.pdf' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(result).error).toBe('Give either s3ref or source_url, not both');
    expect(s3.calls()).toHaveLength(0);
    expect(ddb.calls()).toHaveLength(0);
  });
});
