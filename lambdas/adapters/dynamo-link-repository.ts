import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LinkRepository, PublicLink } from '../core/link-repository';

/**
 * Public links, two items each, always written and removed in one transaction:
 *   pk = LINK#<linkId>,            sk = LINK          the lookup: what a link id opens
 *   pk = FILE#<org>#<fileId>,      sk = LINK#<linkId> the file's entry: its listing, and when
 *                                                      the link was last opened
 * The entry lives in the file's item collection, so deleting the file's collection removes
 * it; `linkLookupKeys` names the lookups to remove with it. A link with an expiry carries the
 * table's TTL attribute `expires_at` (epoch seconds) on both items, so DynamoDB removes them
 * some time after; the service never relies on that and checks the expiry itself.
 */
const lookupPkPrefix = 'LINK#';
const lookupSk = 'LINK';
const entrySkPrefix = 'LINK#';
const keyAttributes = new Set(['pk', 'sk', 'expires_at', 'link_expires_at']);

function filePk(org: string, fileId: string): string {
  return `FILE#${encodeURIComponent(org)}#${fileId}`;
}

function lookupKey(id: string): { pk: string; sk: string } {
  return { pk: `${lookupPkPrefix}${id}`, sk: lookupSk };
}

function entryKey(org: string, fileId: string, id: string): { pk: string; sk: string } {
  return { pk: filePk(org, fileId), sk: `${entrySkPrefix}${id}` };
}

/**
 * The lookup items of the links among a deleted file's item collection, given the sort keys
 * of that collection: whoever removes the collection removes these with it.
 */
export function linkLookupKeys(collectionSortKeys: readonly string[]): Array<{ pk: string; sk: string }> {
  return collectionSortKeys.filter((sk) => sk.startsWith(entrySkPrefix)).map((sk) => lookupKey(sk.slice(entrySkPrefix.length)));
}

export class DynamoLinkRepository implements LinkRepository {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(link: PublicLink): Promise<boolean> {
    const item = itemOf(link);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: filePk(link.org, link.file_id), sk: 'FILE' },
                ConditionExpression: '#status = :active',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':active': 'active' },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...lookupKey(link.id), ...item },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            { Put: { TableName: this.tableName, Item: { ...entryKey(link.org, link.file_id, link.id), ...item } } },
          ],
        }),
      );
      return true;
    } catch (error) {
      // Only the file's check failing means "no such file"; anything else is a fault.
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        return false;
      }
      throw error;
    }
  }

  async get(id: string): Promise<PublicLink | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: lookupKey(id), ConsistentRead: true }));
    return Item ? linkOf(Item) : undefined;
  }

  async listForFile(org: string, fileId: string): Promise<PublicLink[]> {
    const links: PublicLink[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :links)',
          ExpressionAttributeValues: { ':pk': filePk(org, fileId), ':links': entrySkPrefix },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      links.push(...(page.Items ?? []).map(linkOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return links.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async recordAccess(link: PublicLink, at: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: entryKey(link.org, link.file_id, link.id),
          UpdateExpression: 'SET last_accessed_at = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async remove(org: string, id: string): Promise<boolean> {
    const link = await this.get(id);
    if (!link || link.org !== org) return false;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: lookupKey(id),
                ConditionExpression: 'org = :org',
                ExpressionAttributeValues: { ':org': org },
              },
            },
            { Delete: { TableName: this.tableName, Key: entryKey(org, link.file_id, id) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      // Revoked by a concurrent request since it was read.
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') {
        return false;
      }
      throw error;
    }
  }
}

function itemOf(link: PublicLink): Record<string, unknown> {
  const { expires_at, last_accessed_at: _accessed, ...rest } = link;
  return {
    ...rest,
    ...(expires_at ? { link_expires_at: expires_at, expires_at: Math.ceil(Date.parse(expires_at) / 1000) } : {}),
  };
}

function linkOf(item: Record<string, unknown>): PublicLink {
  const fields = Object.fromEntries(Object.entries(item).filter(([name]) => !keyAttributes.has(name)));
  const expiresAt = item.link_expires_at;
  return { ...(fields as Omit<PublicLink, 'expires_at'>), ...(typeof expiresAt === 'string' ? { expires_at: expiresAt } : {}) };
}
