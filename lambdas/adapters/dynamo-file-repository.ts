import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FileRecord, FileVersion } from '../core/model';
import type { DeleteActor, FileRepository, SaveIntent, UploadClaim } from '../core/ports';
import { AlreadySavedError, IntentConflictError, InvalidItemError, StaleWriteError } from '../core/ports';

/**
 * One table, one item collection per file:
 *   pk = FILE#<org>#<id>, sk = FILE               the entity
 *   pk = FILE#<org>#<id>, sk = VERSION#<0000000n>  one item per version
 *   pk = UPLOAD#<org>#<uploadId>, sk = UPLOAD      what an upload became (expires via TTL)
 *   pk = INTENT#<org>#<uploadId>, sk = INTENT      a save between its copy and its commit
 *                                                  (expires via TTL: the orphan reaper's cue)
 * The org is part of every key, so no read can reach another org's file. Every read of the
 * base table is consistent: each one can follow a write the caller just made.
 */
const entitySk = 'FILE';
const versionPrefix = 'VERSION#';
const claimSk = 'UPLOAD';
const intentSk = 'INTENT';
const intentPkPrefix = 'INTENT#';
/** BatchWriteItem takes at most this many requests. */
const batchWriteSize = 25;

function pk(org: string, id: string): string {
  return `FILE#${encodeURIComponent(org)}#${id}`;
}

function claimPk(org: string, uploadId: string): string {
  return `UPLOAD#${encodeURIComponent(org)}#${uploadId}`;
}

function intentPk(org: string, uploadId: string): string {
  return `${intentPkPrefix}${encodeURIComponent(org)}#${uploadId}`;
}

function versionSk(version: number): string {
  return `${versionPrefix}${version.toString().padStart(10, '0')}`;
}

export class DynamoFileRepository implements FileRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(org: string, id: string): Promise<FileRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(org, id), sk: entitySk }, ConsistentRead: true }),
    );
    return Item ? withoutKeys<FileRecord>(Item) : undefined;
  }

  async getMany(org: string, ids: readonly string[]): Promise<FileRecord[]> {
    const records: FileRecord[] = [];
    let keys: Array<Record<string, unknown>> = ids.map((id) => ({ pk: pk(org, id), sk: entitySk }));
    // BatchGetItem may leave keys unprocessed under load; they are asked for again, a bounded number of times.
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt >= 8) throw new Error('DynamoDB left reads unprocessed');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const result = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) records.push(withoutKeys<FileRecord>(item));
      keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return records;
  }

  async getVersion(org: string, id: string, version: number): Promise<FileVersion | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(org, id), sk: versionSk(version) }, ConsistentRead: true }),
    );
    return Item ? withoutKeys<FileVersion>(Item) : undefined;
  }

  async listVersions(org: string, id: string): Promise<FileVersion[]> {
    const versions: FileVersion[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...this.versionsNewestFirst(org, id),
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) versions.push(withoutKeys<FileVersion>(item));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return versions;
  }

  /** A file's version items, newest first, read consistently. */
  private versionsNewestFirst(org: string, id: string) {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk(org, id), ':prefix': versionPrefix },
      ScanIndexForward: false,
      ConsistentRead: true,
    };
  }

  async listVersionPage(
    org: string,
    id: string,
    page: { limit: number; olderThan?: number },
  ): Promise<{ versions: FileVersion[]; more: boolean }> {
    const result = await this.client.send(
      new QueryCommand({
        ...this.versionsNewestFirst(org, id),
        Limit: page.limit,
        ...(page.olderThan !== undefined
          ? { ExclusiveStartKey: { pk: pk(org, id), sk: versionSk(page.olderThan) } }
          : {}),
      }),
    );
    const versions = (result.Items ?? []).map((item) => withoutKeys<FileVersion>(item));
    return { versions, more: result.LastEvaluatedKey !== undefined };
  }

  async getClaim(org: string, uploadId: string): Promise<UploadClaim | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: claimPk(org, uploadId), sk: claimSk }, ConsistentRead: true }),
    );
    return Item ? withoutKeys<UploadClaim>(Item) : undefined;
  }

  async getIntent(org: string, uploadId: string): Promise<SaveIntent | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: intentPk(org, uploadId), sk: intentSk }, ConsistentRead: true }),
    );
    return Item ? withoutKeys<SaveIntent>(Item) : undefined;
  }

  /**
   * A put and then a consistent read of the claim, not a transaction: the claim is written
   * before the intent of its save is forgotten, so an intent put after that finds the claim.
   * (Cheaper too: transactions are what concurrent saves to one file queue on.)
   */
  async recordIntent(intent: SaveIntent): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: intentPk(intent.org, intent.upload_id), sk: intentSk, ...intent },
          // A retry of the same save (same bytes, same key) may record it again.
          ConditionExpression: 'attribute_not_exists(pk) OR (etag = :etag AND #key = :key)',
          ExpressionAttributeNames: { '#key': 'key' },
          ExpressionAttributeValues: { ':etag': intent.etag, ':key': intent.key },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new IntentConflictError();
      throw asInvalidItem(error);
    }
    if (await this.getClaim(intent.org, intent.upload_id)) {
      await this.forgetIntent(intent);
      throw new AlreadySavedError();
    }
  }

  async forgetIntent(intent: SaveIntent): Promise<void> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, ...this.ownIntent(intent) }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async create(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void> {
    await this.transact([
      {
        Put: {
          TableName: this.tableName,
          Item: { pk: pk(record.org, record.id), sk: entitySk, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      this.putVersion(record, version),
      this.putClaim(claim),
    ]);
  }

  async addVersion(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void> {
    await this.transact([
      {
        Put: {
          TableName: this.tableName,
          Item: { pk: pk(record.org, record.id), sk: entitySk, ...record },
          ConditionExpression: '#status = :active AND latest_version = :previous',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':previous': version.version - 1 },
        },
      },
      this.putVersion(record, version),
      this.putClaim(claim),
    ]);
  }

  async markDeleting(org: string, id: string, actor?: DeleteActor): Promise<FileRecord | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: pk(org, id), sk: entitySk },
          UpdateExpression: actor
            ? 'SET #status = :deleting, deleted_by = if_not_exists(deleted_by, :by), deleted_at = if_not_exists(deleted_at, :at)'
            : 'SET #status = :deleting',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deleting': 'deleting', ...(actor ? { ':by': actor.by, ':at': actor.at } : {}) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? withoutKeys<FileRecord>(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async remove(org: string, id: string, versions: number[]): Promise<void> {
    // The entity goes last, so a delete cut short is still visible to its retry.
    const keys = [...versions.map(versionSk), entitySk].map((sk) => ({ pk: pk(org, id), sk }));
    for (let start = 0; start < keys.length; start += batchWriteSize) {
      let requests = keys.slice(start, start + batchWriteSize).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt += 1) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (attempt >= 8 && requests.length > 0) throw new Error('DynamoDB left deletes unprocessed');
      }
    }
  }

  private putVersion(record: FileRecord, version: FileVersion) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { pk: pk(record.org, record.id), sk: versionSk(version.version), ...version },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The intent item, on condition that it is still this one. */
  private ownIntent(intent: SaveIntent) {
    return {
      Key: { pk: intentPk(intent.org, intent.upload_id), sk: intentSk },
      ConditionExpression: 'etag = :etag AND #key = :key',
      ExpressionAttributeNames: { '#key': 'key' },
      ExpressionAttributeValues: { ':etag': intent.etag, ':key': intent.key },
    };
  }

  private putClaim(claim: UploadClaim) {
    return {
      Put: {
        TableName: this.tableName,
        Item: { pk: claimPk(claim.org, claim.upload_id), sk: claimSk, ...claim },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  /** The claim is always the last item of a transaction, so its refusal can be told apart. */
  private async transact(items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (reasons.length === items.length && reasons.at(-1)?.Code === 'ConditionalCheckFailed') {
          throw new AlreadySavedError();
        }
        if (isConditionRace(reasons)) throw new StaleWriteError();
      }
      throw asInvalidItem(error);
    }
  }
}

/** Cancelled because a condition no longer held or another transaction held the item. */
function isConditionRace(reasons: NonNullable<TransactionCanceledException['CancellationReasons']>): boolean {
  return reasons.some(
    (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
  );
}

/**
 * DynamoDB refuses items it cannot store (over 400 KB, say) with a ValidationException: the
 * request's fault, never a fault of the service.
 */
function asInvalidItem(error: unknown): unknown {
  if (error instanceof Error && error.name === 'ValidationException') return new InvalidItemError(error.message, { cause: error });
  return error;
}

/**
 * The save intent an item image holds (a DynamoDB stream record's OldImage, unmarshalled),
 * or undefined for any other item.
 */
export function intentOfImage(image: Record<string, unknown>): SaveIntent | undefined {
  if (typeof image.pk !== 'string' || !image.pk.startsWith(intentPkPrefix) || image.sk !== intentSk) return undefined;
  const intent = withoutKeys<SaveIntent>(image);
  const complete =
    typeof intent.org === 'string' && typeof intent.upload_id === 'string' && typeof intent.key === 'string' && typeof intent.etag === 'string';
  return complete ? intent : undefined;
}

/** The stored item without its table keys; the table holds only what this class wrote. */
function withoutKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}
