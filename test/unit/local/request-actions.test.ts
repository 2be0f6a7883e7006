import { describe, expect, it } from 'vitest';
import { checksFor } from '../../../local/dynamodb-front';
import { deleteObjectsBody, deleteObjectsKeys, describeS3Request } from '../../../local/s3/actions';

const describeRequest = (method: string, path: string, query = '', headers: Record<string, string> = {}) =>
  describeS3Request(method, path, new URLSearchParams(query), headers);

describe('describeS3Request', () => {
  it('needs s3:GetObject on the object for GET, ranged GET and HEAD', () => {
    expect(describeRequest('GET', '/b/temp/o/a.txt', 'x-id=GetObject', { range: 'bytes=0-9' })).toEqual({
      name: 'GetObject',
      bucket: 'b',
      key: 'temp/o/a.txt',
      checks: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/temp/o/a.txt' }],
    });
    expect(describeRequest('HEAD', '/b/k').checks).toEqual([{ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }]);
  });

  it('needs s3:GetObject on the source and s3:PutObject on the destination for CopyObject', () => {
    const copy = describeRequest('PUT', '/b/files/o/f/u/a%20b.txt', 'x-id=CopyObject', {
      'x-amz-copy-source': 'b/temp/o/u/a%20b.txt',
    });

    expect(copy.name).toBe('CopyObject');
    expect(copy.checks).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::b/temp/o/u/a b.txt' },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/files/o/f/u/a b.txt' },
    ]);
  });

  it('needs s3:PutObject for every multipart step and s3:PutObjectTagging with x-amz-tagging', () => {
    expect(describeRequest('POST', '/b/k', 'uploads').checks.map((c) => c.action)).toEqual(['s3:PutObject']);
    expect(describeRequest('PUT', '/b/k', 'partNumber=1&uploadId=u').name).toBe('UploadPart');
    expect(describeRequest('POST', '/b/k', 'uploadId=u').name).toBe('CompleteMultipartUpload');
    expect(describeRequest('PUT', '/b/k', '', { 'x-amz-tagging': 'a=b' }).checks.map((c) => c.action)).toEqual([
      's3:PutObject',
      's3:PutObjectTagging',
    ]);
    expect(describeRequest('DELETE', '/b/k', 'uploadId=u').checks.map((c) => c.action)).toEqual(['s3:AbortMultipartUpload']);
  });

  it('needs s3:ListBucket on the bucket to list it or HEAD it', () => {
    expect(describeRequest('GET', '/b', 'list-type=2&prefix=temp%2F')).toEqual({
      name: 'ListObjectsV2',
      bucket: 'b',
      checks: [{ action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }],
    });
    expect(describeRequest('HEAD', '/b/').name).toBe('HeadBucket');
  });

  it('leaves DeleteObjects to a check per key in its body', () => {
    expect(describeRequest('POST', '/b', 'delete')).toEqual({ name: 'DeleteObjects', bucket: 'b', checks: [] });
  });

  it('reads the keys of a DeleteObjects body, XML entities decoded, and writes them back', () => {
    const keys = ['files/o/a&b.txt', 'files/o/<x>.txt'];

    expect(deleteObjectsKeys(deleteObjectsBody(keys, true))).toEqual(keys);
    expect(deleteObjectsKeys('<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c&#x41;</Key></Object></Delete>')).toEqual([
      'a&b',
      'cA',
    ]);
  });
});

describe('checksFor (DynamoDB)', () => {
  const arn = (name: string) => `arn:table/${name}`;

  it('needs the operation itself on the table', () => {
    expect(checksFor('GetItem', { TableName: 't' }, arn)).toEqual([{ action: 'dynamodb:GetItem', resource: 'arn:table/t' }]);
  });

  it('needs Query on the index for a query with IndexName', () => {
    expect(checksFor('Query', { TableName: 't', IndexName: 'gsi1' }, arn)).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:table/t/index/gsi1' },
    ]);
  });

  it('authorises a transaction item by item, never as TransactWriteItems', () => {
    const checks = checksFor(
      'TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 't' } },
          { Update: { TableName: 't' } },
          { Delete: { TableName: 'u' } },
          { ConditionCheck: { TableName: 't' } },
        ],
      },
      arn,
    );

    expect(checks).toEqual([
      { action: 'dynamodb:PutItem', resource: 'arn:table/t' },
      { action: 'dynamodb:UpdateItem', resource: 'arn:table/t' },
      { action: 'dynamodb:DeleteItem', resource: 'arn:table/u' },
      { action: 'dynamodb:ConditionCheckItem', resource: 'arn:table/t' },
    ]);
    expect(checksFor('TransactGetItems', { TransactItems: [{ Get: { TableName: 't' } }] }, arn)).toEqual([
      { action: 'dynamodb:GetItem', resource: 'arn:table/t' },
    ]);
  });

  it('needs a batch action on every table the batch names', () => {
    expect(checksFor('BatchWriteItem', { RequestItems: { t: [], u: [] } }, arn)).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: 'arn:table/t' },
      { action: 'dynamodb:BatchWriteItem', resource: 'arn:table/u' },
    ]);
  });
});
