import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand as ScanDocumentsCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../../local/stack';

/** Direct access to the local stack's bucket and table, to check what the API left behind. */
export class Storage {
  readonly s3: S3Client;
  private readonly dynamo: DynamoDBClient;

  constructor(private readonly stack: LocalStack) {
    this.s3 = new S3Client({
      endpoint: stack.s3Endpoint,
      region: stack.region,
      credentials: stack.credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.dynamo = new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, region: stack.region, credentials: stack.credentials });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.stack.bucket, Key: key }));
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  async keys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.stack.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) keys.push(`${object.Key} ${object.ETag} ${object.Size}`);
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    return keys.sort();
  }

  async items(): Promise<string[]> {
    const items: string[] = [];
    let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamo.send(new ScanCommand({ TableName: this.stack.table, ExclusiveStartKey }));
      for (const item of page.Items ?? []) items.push(JSON.stringify(item));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items.sort();
  }

  /** Every item as a plain object. */
  async documents(): Promise<Array<Record<string, unknown>>> {
    const client = DynamoDBDocumentClient.from(this.dynamo);
    const items: Array<Record<string, unknown>> = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanDocumentsCommand({ TableName: this.stack.table, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  /** Every object and item, to compare before and after a request. */
  async snapshot(): Promise<{ objects: string[]; items: string[] }> {
    return { objects: await this.keys(), items: await this.items() };
  }

  close(): void {
    this.s3.destroy();
    this.dynamo.destroy();
  }
}
