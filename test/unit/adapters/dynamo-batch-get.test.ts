import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoFileRepository } from '../../../lambdas/adapters/dynamo-file-repository';

const ddb = mockClient(DynamoDBDocumentClient);
const table = 'files-table';
const first = '0f8fad5b-d9cb-469f-a165-70867728950e';
const second = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const key = (id: string) => ({ pk: `FILE#o#${id}`, sk: 'FILE' });

function repository(): DynamoFileRepository {
  return new DynamoFileRepository(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })), table);
}

describe('DynamoFileRepository.getMany', () => {
  beforeEach(() => ddb.reset());

  it('reads the entities of the org consistently in one BatchGetItem, and asks again for what DynamoDB left unprocessed', async () => {
    // Prepare
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [table]: [{ ...key(first), id: first, org: 'o' }] },
        UnprocessedKeys: { [table]: { Keys: [key(second)] } },
      })
      .resolvesOnce({ Responses: { [table]: [{ ...key(second), id: second, org: 'o' }] } });

    // Act
    const records = await repository().getMany('o', [first, second]);

    // Assess
    expect(records.map((record) => record.id)).toEqual([first, second]);
    expect(records[0]).not.toHaveProperty('pk');
    const calls = ddb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[table]);
    expect(calls).toEqual([
      { Keys: [key(first), key(second)], ConsistentRead: true },
      { Keys: [key(second)], ConsistentRead: true },
    ]);
  });
});
