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
import { listingGrants, orgWide, parsePrincipal } from '../core/access';
import type { FileRecord, FileVersion, Relation } from '../core/model';
import { guardOf } from '../core/model';
import type {
  DeleteActor,
  FileIndex,
  FileRepository,
  PendingUpload,
  RelatedPage,
  RelatedPageRequest,
  SaveIntent,
  ShardPage,
  ShardPageRequest,
  UploadClaim,
} from '../core/ports';
import { linkLookupKeys } from './dynamo-link-repository';
import { grantPartition, listIndexes, listPartitionAttribute, listShards, orgPartition, keyDigest } from './table-layout';
import { AlreadySavedError, IntentConflictError, InvalidItemError, StaleWriteError, TooManyItemsError } from '../core/ports';

/**
 * One table, one item collection per file:
 *   pk = FILE#<org>#<id>, sk = FILE               the entity
 *   pk = FILE#<org>#<id>, sk = VERSION#<0000000n>  one item per version
 *   pk = UPLOAD#<org>#<uploadId>, sk = UPLOAD      what an upload became (expires via TTL)
 *   pk = PENDING#<org>#<uploadId>, sk = PENDING    a multipart upload not saved yet (TTL)
 *   pk = INTENT#<org>#<uploadId>, sk = INTENT      a save between its copy and its commit
 *                                                  (expires via TTL: the orphan reaper's cue)
 *   pk = FILE#<org>#<id>, sk = LINK#<linkId>       a public link of the file, with its lookup
 *   pk = LINK#<linkId>, sk = LINK                  item (./dynamo-link-repository.ts)
 *   pk = REL#<org>#<entityId>, sk = <created_at>#<fileId>
 *                                                  a file related to an entity: the reverse
 *                                                  index, written in the file's transactions
 *   pk = FILE#<org>#<id>, sk = GRANT#<digest>      the file listed under a principal
 *                                                  (access.ts `listingGrants`; the digest of
 *                                                  the principal, which the item also holds)
 *   pk = SHARED#<digest>#<id>, sk = SHARED         the file's org, for another org it shares
 *                                                  the file with (its ids are not theirs)
 *   pk = FILE#<org>#<id>, sk = PREVIEW#<n>#<size>  a rendered preview kept in the bucket, so
 *                                                  that the file's delete finds it
 * The entity and grant items carry the key attributes of the list indexes (./table-layout.ts).
 * Relation, grant and shared items are written in the entity's own transactions, so they
 * never disagree with it. The org is part of every key, so no read can reach another org's
 * file but through a SHARED item of the reader's org, which the file itself wrote. Every
 * read of the base table is consistent: each one can follow a write the caller just made.
 */
const entitySk = 'FILE';
const versionPrefix = 'VERSION#';
const claimSk = 'UPLOAD';
const intentSk = 'INTENT';
const pendingSk = 'PENDING';
const intentPkPrefix = 'INTENT#';
const grantSkPrefix = 'GRANT#';
const sharedSk = 'SHARED';
const previewPrefix = 'PREVIEW#';
/** DynamoDB's limit of items in one transaction. */
const maxTransactionItems = 100;
/** BatchGetItem takes at most this many keys. */
const batchGetSize = 100;
/** BatchWriteItem takes at most this many requests. */
const batchWriteSize = 25;

/** The attributes this class adds to an entity item, which a read takes off again. */
const entityKeyAttributes = ['pk', 'sk', listPartitionAttribute, ...Object.values(listIndexes).map((index) => index.sortKey)];
/** Index sort keys stay well inside DynamoDB's 1,024 bytes, whatever the filename. */
const maxNameKeyBytes = 600;

function pk(org: string, id: string): string {
  return `FILE#${encodeURIComponent(org)}#${id}`;
}

function pendingPk(org: string, uploadId: string): string {
  return `PENDING#${encodeURIComponent(org)}#${uploadId}`;
}

function claimPk(org: string, uploadId: string): string {
  return `UPLOAD#${encodeURIComponent(org)}#${uploadId}`;
}

function intentPk(org: string, uploadId: string): string {
  return `${intentPkPrefix}${encodeURIComponent(org)}#${uploadId}`;
}

function relationPk(org: string, entityId: string): string {
  return `REL#${encodeURIComponent(org)}#${encodeURIComponent(entityId)}`;
}

function relationSk(record: FileRecord): string {
  return `${record.created_at}#${record.id}`;
}

/** A file's shard: its id is random, so an org's files spread evenly over the shards. */
export function shardOf(id: string): number {
  return Number.parseInt(id.slice(0, 2), 16) % listShards || 0;
}

/** The other org's id can be longer than a key may hold: its digest names it, the item holds it. */
function sharedPk(viewerOrg: string, id: string): string {
  return `SHARED#${keyDigest(viewerOrg)}#${id}`;
}

/** The entity item: the record, its table keys and its keys in every list index. */
function entityItem(record: FileRecord): Record<string, unknown> {
  return {
    ...record,
    pk: pk(record.org, record.id),
    sk: entitySk,
    [listPartitionAttribute]: orgPartition(record.org, shardOf(record.id), !orgWide(guardOf(record))),
    ...sortKeysOf(record),
  };
}

/** The file's sort keys in the list indexes. */
function sortKeysOf(record: FileRecord): Record<string, string> {
  return {
    [listIndexes.created.sortKey]: `${record.created_at}#${record.id}`,
    // \u0001 sorts before every character a name shows, so "a" comes before "a b".
    [listIndexes.filename.sortKey]: `${nameKey(record.filename)}\u0001${record.id}`,
    [listIndexes.size.sortKey]: `${String(record.size_bytes).padStart(16, '0')}#${record.id}`,
  };
}

/** The grant items of a file, by sort key: one per principal it is listed under. */
function grantItems(record: FileRecord): Map<string, Record<string, unknown>> {
  const keys = sortKeysOf(record);
  return new Map(
    listingGrants(guardOf(record)).map((grant) => [
      `${grantSkPrefix}${keyDigest(grant.principal)}`,
      {
        pk: pk(record.org, record.id),
        sk: `${grantSkPrefix}${keyDigest(grant.principal)}`,
        [listPartitionAttribute]: grantPartition(grant.principal, grant.shared),
        principal: grant.principal,
        ...keys,
        file_org: record.org,
        file_id: record.id,
      },
    ]),
  );
}

/** The other orgs a file is shared with (whole, or with some of their users). */
function sharedOrgs(record: FileRecord): Set<string> {
  return new Set(
    listingGrants(guardOf(record))
      .filter((grant) => grant.shared)
      .map((grant) => parsePrincipal(grant.principal).org),
  );
}

/** The entity key a SHARED item points at; never one of the reader's own org. */
function sharedEntityKey(item: Record<string, unknown>, viewerOrg: string): { pk: string; sk: string } | undefined {
  return item.viewer_org === viewerOrg && typeof item.org === 'string' && item.org !== viewerOrg && typeof item.file_id === 'string'
    ? { pk: pk(item.org, item.file_id), sk: entitySk }
    : undefined;
}

function sharedItem(record: FileRecord, viewerOrg: string): Record<string, unknown> {
  return { pk: sharedPk(viewerOrg, record.id), sk: sharedSk, org: record.org, file_id: record.id, viewer_org: viewerOrg };
}

function nameKey(filename: string): string {
  let key = filename.toLowerCase();
  while (Buffer.byteLength(key) > maxNameKeyBytes) key = key.slice(0, Math.floor(key.length * 0.9));
  // A cut through a surrogate pair would leave half a character.
  return key.replace(/[\ud800-\udbff]$/, '');
}

/**
 * The items a file's entity and its relations are stored as, without its versions: what a
 * bulk load (a migration, the benchmark's seed) writes to list and find files.
 */
export function entityItems(record: FileRecord): Array<Record<string, unknown>> {
  return [
    entityItem(record),
    ...grantItems(record).values(),
    ...[...sharedOrgs(record)].map((org) => sharedItem(record, org)),
    ...[...relatedIds(record.relations)].map((entityId) => ({ pk: relationPk(record.org, entityId), sk: relationSk(record), file_id: record.id })),
  ];
}

/** Each related entity once: the reverse index holds one item per entity and file. */
function relatedIds(relations: readonly Relation[]): Set<string> {
  return new Set(relations.map((relation) => relation.entity_id));
}

function versionSk(version: number): string {
  return `${versionPrefix}${version.toString().padStart(10, '0')}`;
}

export class DynamoFileRepository implements FileRepository, FileIndex {
  readonly shards = listShards;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(org: string, id: string): Promise<FileRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(org, id), sk: entitySk }, ConsistentRead: true }),
    );
    return Item ? recordOf(Item) : undefined;
  }

  async getMany(org: string, ids: readonly string[]): Promise<FileRecord[]> {
    return (await this.batchGet(ids.map((id) => ({ pk: pk(org, id), sk: entitySk })))).map(recordOf);
  }

  async getShared(viewerOrg: string, ids: readonly string[]): Promise<FileRecord[]> {
    const lookups = await this.batchGet(ids.map((id) => ({ pk: sharedPk(viewerOrg, id), sk: sharedSk })));
    const entities = lookups.flatMap((item) => {
      const key = sharedEntityKey(item, viewerOrg);
      return key ? [key] : [];
    });
    return (await this.batchGet(entities)).map(recordOf);
  }

  async findShared(viewerOrg: string, id: string): Promise<FileRecord | undefined> {
    const { Item: lookup } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: sharedPk(viewerOrg, id), sk: sharedSk }, ConsistentRead: true }),
    );
    const key = lookup ? sharedEntityKey(lookup, viewerOrg) : undefined;
    if (!key) return undefined;
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return Item ? recordOf(Item) : undefined;
  }

  /** The items of these keys that exist, read consistently, in any order. */
  private async batchGet(allKeys: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    for (let start = 0; start < allKeys.length; start += batchGetSize) {
      let keys = allKeys.slice(start, start + batchGetSize);
      // BatchGetItem may leave keys unprocessed under load; they are asked for again, a bounded number of times.
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt >= 8) throw new Error('DynamoDB left reads unprocessed');
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const result = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }),
        );
        items.push(...(result.Responses?.[this.tableName] ?? []));
        keys = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return items;
  }

  async getVersion(org: string, id: string, version: number): Promise<FileVersion | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pk(org, id), sk: versionSk(version) }, ConsistentRead: true }),
    );
    return Item ? withoutKeys<FileVersion>(Item) : undefined;
  }

  async putPreview(org: string, id: string, preview: { version: number; size: string; key: string }): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: pk(org, id), sk: `${previewPrefix}${preview.version}#${preview.size}`, key: preview.key },
      }),
    );
  }

  async listPreviewKeys(org: string, id: string): Promise<string[]> {
    const keys: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk(org, id), ':prefix': previewPrefix },
          ProjectionExpression: '#key',
          ExpressionAttributeNames: { '#key': 'key' },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.key === 'string') keys.push(item.key);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return keys;
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

  async putPendingUpload(upload: PendingUpload): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: { pk: pendingPk(upload.org, upload.upload_id), sk: pendingSk, ...upload } }));
    } catch (error) {
      throw asInvalidItem(error);
    }
  }

  async getPendingUpload(org: string, uploadId: string): Promise<PendingUpload | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: pendingPk(org, uploadId), sk: pendingSk }, ConsistentRead: true }),
    );
    return Item ? withoutKeys<PendingUpload>(Item) : undefined;
  }

  async deletePendingUpload(org: string, uploadId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: pendingPk(org, uploadId), sk: pendingSk } }));
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
          Item: entityItem(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      this.putVersion(record, version),
      ...this.relationChanges(record),
      ...this.grantChanges(record),
      this.putClaim(claim),
    ]);
  }

  async addVersion(record: FileRecord, version: FileVersion, claim: UploadClaim, previous: FileRecord): Promise<void> {
    await this.transact([
      this.replaceEntity(record, previous),
      this.putVersion(record, version),
      ...this.relationChanges(record, previous),
      ...this.grantChanges(record, previous),
      this.putClaim(claim),
    ]);
  }

  async update(record: FileRecord, previous: FileRecord): Promise<void> {
    await this.transact([this.replaceEntity(record, previous), ...this.relationChanges(record, previous), ...this.grantChanges(record, previous)], {
      claimLast: false,
    });
  }

  async readShard(org: string, shard: number, request: ShardPageRequest, restricted = false): Promise<ShardPage> {
    const { items, lastSortKey } = await this.readIndex(orgPartition(org, shard, restricted), request);
    const sortKey = listIndexes[request.index].sortKey;
    return { entries: items.map((item) => ({ sortKey: String(item[sortKey]), record: recordOf(item) })), ...(lastSortKey !== undefined ? { lastSortKey } : {}) };
  }

  async readGrants(principal: string, shared: boolean, request: ShardPageRequest): Promise<ShardPage> {
    const { items, lastSortKey } = await this.readIndex(grantPartition(principal, shared), request);
    const sortKey = listIndexes[request.index].sortKey;
    const records = (await this.batchGet(items.map((item) => ({ pk: pk(String(item.file_org), String(item.file_id)), sk: entitySk })))).map(recordOf);
    const byKey = new Map(records.map((record) => [`${record.org}#${record.id}`, record]));
    const entries = items.flatMap((item) => {
      const record = byKey.get(`${String(item.file_org)}#${String(item.file_id)}`);
      // The index lags the table: an entry of a file since deleted, renamed or no longer
      // shared with this principal is not the file's any more.
      const backed =
        record !== undefined &&
        sortKeysOf(record)[sortKey] === item[sortKey] &&
        listingGrants(guardOf(record)).some((grant) => grant.principal === principal && grant.shared === shared);
      return backed ? [{ sortKey: String(item[sortKey]), record }] : [];
    });
    return { entries, ...(lastSortKey !== undefined ? { lastSortKey } : {}) };
  }

  /** One page of a list index partition, in the order asked, after the cursor's position. */
  private async readIndex(partition: string, request: ShardPageRequest): Promise<{ items: Array<Record<string, unknown>>; lastSortKey?: string }> {
    const index = listIndexes[request.index];
    const range = sortKeyRange(request.descending, request.after, request.index === 'created' ? request.created : undefined);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: `#pk = :pk${range.condition ? ` AND #sk ${range.condition}` : ''}`,
        ExpressionAttributeNames: { '#pk': index.partitionKey, ...(range.condition ? { '#sk': index.sortKey } : {}) },
        ExpressionAttributeValues: { ':pk': partition, ...range.values },
        ScanIndexForward: !request.descending,
        Limit: request.limit,
      }),
    );
    // BETWEEN includes the cursor's own key, which the previous page already had.
    const items = (result.Items ?? []).filter((item) => item[index.sortKey] !== request.after);
    const last = result.LastEvaluatedKey?.[index.sortKey];
    return { items, ...(typeof last === 'string' ? { lastSortKey: last } : {}) };
  }

  async readRelated(org: string, entityId: string, request: RelatedPageRequest): Promise<RelatedPage> {
    const range = sortKeyRange(request.descending, request.after, request.created);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: `pk = :pk${range.condition ? ` AND sk ${range.condition}` : ''}`,
        ExpressionAttributeValues: { ':pk': relationPk(org, entityId), ...range.values },
        ScanIndexForward: !request.descending,
        Limit: request.limit,
        ConsistentRead: true,
      }),
    );
    const entries = (result.Items ?? [])
      .map((item) => ({ sortKey: String(item.sk), fileId: String(item.file_id) }))
      .filter((entry) => entry.sortKey !== request.after);
    const last = result.LastEvaluatedKey?.sk;
    return { entries, ...(typeof last === 'string' ? { lastSortKey: last } : {}) };
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
      return Attributes ? recordOf(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async remove(record: FileRecord): Promise<void> {
    const collection: Array<Record<string, unknown>> = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk(record.org, record.id) },
          ProjectionExpression: 'pk, sk',
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      collection.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    // The entity goes last, so a delete cut short is still visible to its retry.
    const keys = [
      ...[...relatedIds(record.relations)].map((entityId) => ({ pk: relationPk(record.org, entityId), sk: relationSk(record) })),
      ...[...sharedOrgs(record)].map((org) => ({ pk: sharedPk(org, record.id), sk: sharedSk })),
      // The lookup items of the file's public links live outside its collection.
      ...linkLookupKeys(collection.map((item) => String(item.sk))),
      ...collection.filter((item) => item.sk !== entitySk).map((item) => ({ pk: item.pk, sk: item.sk })),
      { pk: pk(record.org, record.id), sk: entitySk },
    ];
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

  /** The new entity, on condition that the stored one is still `previous` and active. */
  private replaceEntity(record: FileRecord, previous: FileRecord) {
    const revision = previous.revision ?? 0;
    return {
      Put: {
        TableName: this.tableName,
        Item: entityItem(record),
        ConditionExpression: `#status = :active AND ${revision === 0 ? 'attribute_not_exists(revision)' : 'revision = :revision'}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':active': 'active', ...(revision === 0 ? {} : { ':revision': revision }) },
      },
    };
  }

  /** The reverse-index items to add and remove for the entity's relations. */
  private relationChanges(record: FileRecord, previous?: FileRecord) {
    const now = relatedIds(record.relations);
    const before = relatedIds(previous?.relations ?? []);
    return [
      ...[...before].filter((id) => !now.has(id)).map((entityId) => ({
        Delete: { TableName: this.tableName, Key: { pk: relationPk(record.org, entityId), sk: relationSk(record) } },
      })),
      ...[...now].filter((id) => !before.has(id)).map((entityId) => ({
        Put: {
          TableName: this.tableName,
          Item: { pk: relationPk(record.org, entityId), sk: relationSk(record), file_id: record.id },
        },
      })),
    ];
  }

  /** The grant and shared items to add, rewrite (a sort key changed) and remove. */
  private grantChanges(record: FileRecord, previous?: FileRecord) {
    const now = grantItems(record);
    const before = previous ? grantItems(previous) : new Map<string, Record<string, unknown>>();
    const orgsNow = sharedOrgs(record);
    const orgsBefore = previous ? sharedOrgs(previous) : new Set<string>();
    const sameEntry = (a: Record<string, unknown>, b: Record<string, unknown>) =>
      [listPartitionAttribute, ...Object.values(listIndexes).map((index) => index.sortKey)].every((key) => a[key] === b[key]);
    return [
      ...[...before.keys()].filter((sk) => !now.has(sk)).map((sk) => ({
        Delete: { TableName: this.tableName, Key: { pk: pk(record.org, record.id), sk } },
      })),
      ...[...now].filter(([sk, item]) => !before.has(sk) || !sameEntry(before.get(sk) as Record<string, unknown>, item)).map(([, item]) => ({
        Put: { TableName: this.tableName, Item: item },
      })),
      ...[...orgsBefore].filter((org) => !orgsNow.has(org)).map((org) => ({
        Delete: { TableName: this.tableName, Key: { pk: sharedPk(org, record.id), sk: sharedSk } },
      })),
      ...[...orgsNow].filter((org) => !orgsBefore.has(org)).map((org) => ({
        Put: { TableName: this.tableName, Item: sharedItem(record, org) },
      })),
    ];
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

  /**
   * The claim, when there is one, is always the last item of a transaction, so its refusal
   * can be told apart.
   */
  private async transact(
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
    { claimLast = true } = {},
  ): Promise<void> {
    if (items.length > maxTransactionItems) {
      throw new TooManyItemsError(
        `this change writes ${items.length} items (the file, its relations and whom it is listed for) and one write ` +
          `holds at most ${maxTransactionItems}: change relations and grants in separate requests`,
      );
    }
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (error instanceof TransactionCanceledException) {
        const reasons = error.CancellationReasons ?? [];
        if (claimLast && reasons.length === items.length && reasons.at(-1)?.Code === 'ConditionalCheckFailed') {
          throw new AlreadySavedError();
        }
        if (isConditionRace(reasons)) throw new StaleWriteError();
        // An item the table cannot store (too large, a key too long): the request's fault.
        if (reasons.some((reason) => reason.Code === 'ValidationError')) {
          throw new InvalidItemError(reasons.find((reason) => reason.Code === 'ValidationError')?.Message ?? 'an item cannot be stored', { cause: error });
        }
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

/** The entity an item holds, without the keys this class added. */
function recordOf(item: Record<string, unknown>): FileRecord {
  const record = { ...item };
  for (const attribute of entityKeyAttributes) delete record[attribute];
  return record as unknown as FileRecord;
}

/**
 * The sort-key condition of a read that continues after `after` (exclusive) in its order and
 * keeps to the files created in `created` (`from` inclusive, `before` exclusive). Sort keys
 * start with what they sort by, so an ISO time bounds `<created_at>#<id>` keys as wanted.
 */
function sortKeyRange(
  descending: boolean,
  after: string | undefined,
  created: { from?: string; before?: string } | undefined,
): { condition?: string; values: Record<string, string> } {
  let low = created?.from;
  let high = created?.before;
  // `before` is exclusive: no key equals a bare time, and BETWEEN's upper end is inclusive.
  if (after !== undefined) {
    if (descending) high = high === undefined || after < high ? after : high;
    else low = low === undefined || after > low ? after : low;
  }
  if (low !== undefined && high !== undefined) {
    return { condition: 'BETWEEN :low AND :high', values: { ':low': low, ':high': high } };
  }
  if (high !== undefined) return { condition: '<= :high', values: { ':high': high } };
  if (low !== undefined) return { condition: '>= :low', values: { ':low': low } };
  return { values: {} };
}

/** The stored item without its table keys; the table holds only what this class wrote. */
function withoutKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}
