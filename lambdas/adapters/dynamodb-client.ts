import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientTimeouts } from './storage-budget';
import type { StorageBudget } from './storage-budget';

/** The table's document client, each call bounded by `budget`. */
export function createDocumentClient(options: {
  region: string;
  /** Local stand-in; unset on AWS. */
  endpoint?: string | undefined;
  budget: StorageBudget;
}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...clientTimeouts(options.budget),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}
