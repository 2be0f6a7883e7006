import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoLinkRepository, linkLookupKeys } from '../../../lambdas/adapters/dynamo-link-repository';
import type { PublicLink } from '../../../lambdas/core/link-repository';

const ddb = mockClient(DynamoDBDocumentClient);
const table = 'files-table';
const fileId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const link: PublicLink = {
  id: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  org: 'org/a',
  file_id: fileId,
  filename: 'a.txt',
  created_at: '2024-05-01T12:00:00.000Z',
  created_by: 'alice',
  expires_at: '2024-05-02T12:00:00.500Z',
};
const stored = {
  id: link.id,
  org: link.org,
  file_id: fileId,
  filename: 'a.txt',
  created_at: link.created_at,
  created_by: 'alice',
  link_expires_at: link.expires_at,
  expires_at: 1714651201,
};

function repository(): DynamoLinkRepository {
  return new DynamoLinkRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })), table);
}

function cancelled(codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

describe('DynamoLinkRepository', () => {
  beforeEach(() => ddb.reset());

  it('writes the lookup and the file’s entry in one transaction that checks the file is active, with the expiry as TTL', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const created = await repository().create(link);

    // Assess
    expect(created).toBe(true);
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems;
    expect(items).toEqual([
      {
        ConditionCheck: {
          TableName: table,
          Key: { pk: `FILE#org%2Fa#${fileId}`, sk: 'FILE' },
          ConditionExpression: '#status = :active',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active' },
        },
      },
      { Put: { TableName: table, Item: { pk: `LINK#${link.id}`, sk: 'LINK', ...stored }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: table, Item: { pk: `FILE#org%2Fa#${fileId}`, sk: `LINK#${link.id}`, ...stored } } },
    ]);
  });

  it('stores nothing and answers false when the file is not active', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None']));

    // Act
    const created = await repository().create(link);

    // Assess
    expect(created).toBe(false);
  });

  it('reads a link back as it was made, without keys or the TTL attribute', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { pk: `LINK#${link.id}`, sk: 'LINK', ...stored } });

    // Act
    const found = await repository().get(link.id);

    // Assess
    expect(found).toEqual(link);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
  });

  it('lists a file’s links from its own collection, consistently, through every page, oldest first', async () => {
    // Prepare
    const later = { ...stored, id: 'B'.repeat(32), created_at: '2024-05-03T00:00:00.000Z', last_accessed_at: '2024-05-04T00:00:00.000Z' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [later], LastEvaluatedKey: { pk: 'x', sk: 'y' } })
      .resolvesOnce({ Items: [stored] });

    // Act
    const links = await repository().listForFile('org/a', fileId);

    // Assess
    expect(links.map((found) => found.id)).toEqual([link.id, 'B'.repeat(32)]);
    expect(links[1]?.last_accessed_at).toBe('2024-05-04T00:00:00.000Z');
    const queries = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries[0]).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :links)',
      ExpressionAttributeValues: { ':pk': `FILE#org%2Fa#${fileId}`, ':links': 'LINK#' },
      ConsistentRead: true,
    });
    expect(queries[1]).toMatchObject({ ExclusiveStartKey: { pk: 'x', sk: 'y' } });
  });

  it('records an access on the file’s entry only while the entry exists', async () => {
    // Prepare
    ddb
      .on(UpdateCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));

    // Act
    const outcomes = [await repository().recordAccess(link, 'at-1'), await repository().recordAccess(link, 'at-2')];

    // Assess
    expect(outcomes).toEqual([true, false]);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: `FILE#org%2Fa#${fileId}`, sk: `LINK#${link.id}` },
      ConditionExpression: 'attribute_exists(pk)',
    });
  });

  it('removes a link of the org with its entry in one transaction, and never another org’s', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: { pk: `LINK#${link.id}`, sk: 'LINK', ...stored } });
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const foreign = await repository().remove('org-b', link.id);
    const own = await repository().remove('org/a', link.id);

    // Assess
    expect([foreign, own]).toEqual([false, true]);
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.TransactItems).toEqual([
      {
        Delete: {
          TableName: table,
          Key: { pk: `LINK#${link.id}`, sk: 'LINK' },
          ConditionExpression: 'org = :org',
          ExpressionAttributeValues: { ':org': 'org/a' },
        },
      },
      { Delete: { TableName: table, Key: { pk: `FILE#org%2Fa#${fileId}`, sk: `LINK#${link.id}` } } },
    ]);
  });

  it('names the lookups of the links in a file’s collection, ignoring its other items', () => {
    // Act
    const keys = linkLookupKeys(['FILE', 'VERSION#0000000001', `LINK#${link.id}`]);

    // Assess
    expect(keys).toEqual([{ pk: `LINK#${link.id}`, sk: 'LINK' }]);
  });
});
