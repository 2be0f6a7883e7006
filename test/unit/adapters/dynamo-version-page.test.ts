import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoFileRepository } from '../../../lambdas/adapters/dynamo-file-repository';

const ddb = mockClient(DynamoDBDocumentClient);
const table = 'files-table';
const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
const pk = `FILE#org-1#${id}`;

function repository(): DynamoFileRepository {
  return new DynamoFileRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })), table);
}

beforeEach(() => {
  ddb.reset();
});

describe('DynamoFileRepository.listVersionPage', () => {
  it('reads one consistent page newest first, starting below the given version', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({
      Items: [{ pk, sk: 'VERSION#0000000006', version: 6 }, { pk, sk: 'VERSION#0000000005', version: 5 }],
      LastEvaluatedKey: { pk, sk: 'VERSION#0000000005' },
    });

    // Act
    const page = await repository().listVersionPage('org-1', id, { limit: 2, olderThan: 7 });

    // Assess
    expect(page).toEqual({ versions: [{ version: 6 }, { version: 5 }], more: true });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'VERSION#' },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: 2,
      ExclusiveStartKey: { pk, sk: 'VERSION#0000000007' },
    });
  });

  it('starts at the newest version without a position and says when nothing can follow', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({ Items: [{ pk, sk: 'VERSION#0000000001', version: 1 }] });

    // Act
    const page = await repository().listVersionPage('org-1', id, { limit: 100 });

    // Assess
    expect(page).toEqual({ versions: [{ version: 1 }], more: false });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExclusiveStartKey).toBeUndefined();
  });
});
