/**
 * The table's global secondary indexes, defined once for the CDK stack, the local stack and
 * the repository. Only file entity items carry their key attributes (sparse indexes), so
 * versions, claims and other items never reach them.
 *
 * Every index is partitioned by org *and shard*: one index partition takes about 1,000
 * writes a second, and an org that saves faster than that would throttle on a single one.
 * A file's shard comes from its id (random), so an org's writes spread evenly over
 * `listShards` partitions; a listing reads the shards side by side and merges them.
 */
export const listShards = 4;

export interface ListIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

/**
 * The partition of an item in every list index:
 * - `<org>#<shard>`: the org's files every user of it may view (org-wide);
 * - `<org>#<shard>#r`: the org's other files, which only its admins list whole;
 * - `grant#<principal>`: a file of the principal's own org listed for it (owners, user grants);
 * - `shared#<principal>`: a file of another org shared with the principal.
 * The org is URI-encoded, so it holds no `#`; a principal never starts with a digit.
 */
export const listPartitionAttribute = 'list_pk';

export function orgPartition(org: string, shard: number, restricted: boolean): string {
  return `${encodeURIComponent(org)}#${shard}${restricted ? '#r' : ''}`;
}

export function grantPartition(principal: string, shared: boolean): string {
  return `${shared ? 'shared' : 'grant'}#${principal}`;
}

export const listIndexes = {
  /** `<created_at>#<id>`: newest or oldest first. */
  created: { name: 'byCreated', partitionKey: listPartitionAttribute, sortKey: 'list_created' },
  /** `<lower-cased filename>\u0000<id>`: by name. */
  filename: { name: 'byFilename', partitionKey: listPartitionAttribute, sortKey: 'list_filename' },
  /** `<size, 16 digits>#<id>`: largest first. */
  size: { name: 'bySize', partitionKey: listPartitionAttribute, sortKey: 'list_size' },
} as const satisfies Record<string, ListIndex>;
