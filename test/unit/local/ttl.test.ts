import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { startLocalTtl, ttlRemoveEvent } from '../../../local/ttl';

const claim = {
  keys: { pk: { S: 'UPLOAD#org-a#u1' }, sk: { S: 'UPLOAD' } },
  oldImage: { pk: { S: 'UPLOAD#org-a#u1' }, sk: { S: 'UPLOAD' }, expires_at: { N: '1700000000' }, size: { N: '12' } },
  at: new Date('2026-11-22T10:00:00.000Z'),
};

describe('ttlRemoveEvent', () => {
  it('describes each removal as a REMOVE record by the DynamoDB service, with keys and old image marshalled', () => {
    // Act
    const event = ttlRemoveEvent([claim], { region: 'eu-central-1', table: 'files', account: '123456789012', streamLabel: '2026-11-22T00:00:00.000' });

    // Assess
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toMatchObject({
      eventName: 'REMOVE',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      awsRegion: 'eu-central-1',
      eventSourceARN: 'arn:aws:dynamodb:eu-central-1:123456789012:table/files/stream/2026-11-22T00:00:00.000',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: {
        ApproximateCreationDateTime: Date.parse('2026-11-22T10:00:00.000Z') / 1000,
        Keys: claim.keys,
        OldImage: claim.oldImage,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(event.Records[0]?.dynamodb?.NewImage).toBeUndefined();
  });

  it('gives every record its own event id and a sequence number that grows', () => {
    // Act
    const { Records } = ttlRemoveEvent([claim, claim, claim], { region: 'us-east-1', table: 'files' });

    // Assess
    const ids = Records.map((record) => record.eventID);
    const sequence = Records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect(new Set(ids).size).toBe(3);
    expect([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(sequence);
    expect(new Set(sequence).size).toBe(3);
  });
});

describe('startLocalTtl', () => {
  const dynamo = mockClient(DynamoDBClient);
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

  beforeEach(() => {
    dynamo.reset();
    dynamo.on(DescribeTableCommand).resolves({
      Table: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] },
    });
    dynamo.on(ScanCommand).resolves({ Items: [claim.oldImage] });
    dynamo.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } });
  });

  it('turns the table’s own TTL off when it is on, so that expired items go only through its passes', async () => {
    // Prepare
    dynamo.on(DescribeTimeToLiveCommand).resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'expires_at' } });

    // Act
    const ttl = await startLocalTtl({ client, table: 'files', region: 'us-east-1', intervalMs: 0 });
    await ttl.stop();

    // Assess
    expect(dynamo.commandCalls(UpdateTimeToLiveCommand)[0]?.args[0].input).toEqual({
      TableName: 'files',
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: false },
    });
  });

  it('leaves a table whose TTL is already off as it is', async () => {
    // Act
    const ttl = await startLocalTtl({ client, table: 'files', region: 'us-east-1', intervalMs: 0 });
    await ttl.stop();

    // Assess
    expect(dynamo.commandCalls(UpdateTimeToLiveCommand)).toHaveLength(0);
  });

  it('deletes only on the condition that the item is still expired, and reports nothing when its expiry moved meanwhile', async () => {
    // Prepare
    dynamo.on(DeleteItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const ttl = await startLocalTtl({ client, table: 'files', region: 'us-east-1', intervalMs: 0 });
    const events: unknown[] = [];
    ttl.subscribe(async (event) => {
      events.push(event);
    });

    // Act
    const deleted = await ttl.expire(new Date('2026-11-22T10:00:00.000Z'));
    await ttl.stop();

    // Assess
    expect(deleted).toBe(0);
    expect(events).toEqual([]);
    expect(dynamo.commandCalls(DeleteItemCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'files',
      Key: claim.keys,
      ConditionExpression: '#ttl < :now AND #ttl >= :oldest',
      ExpressionAttributeNames: { '#ttl': 'expires_at' },
      ExpressionAttributeValues: { ':now': { N: String(Date.parse('2026-11-22T10:00:00.000Z') / 1000) } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('fails the pass when DynamoDB fails for another reason, and the next pass runs again', async () => {
    // Prepare
    dynamo.on(DeleteItemCommand).rejectsOnce(new Error('network down')).resolves({ Attributes: claim.oldImage });
    const ttl = await startLocalTtl({ client, table: 'files', region: 'us-east-1', intervalMs: 0 });

    // Act
    const first = ttl.expire(new Date('2026-11-22T10:00:00.000Z'));
    const second = ttl.expire(new Date('2026-11-22T10:00:00.000Z'));

    // Assess
    await expect(first).rejects.toThrow('network down');
    await expect(second).resolves.toBe(1);
    await ttl.stop();
  });
});
