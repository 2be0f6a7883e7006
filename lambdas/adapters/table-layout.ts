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

/** `<org>#<shard>`: the partition of an org's files in every list index. */
export const listPartitionAttribute = 'list_pk';

export const listIndexes = {
  /** `<created_at>#<id>`: newest or oldest first. */
  created: { name: 'byCreated', partitionKey: listPartitionAttribute, sortKey: 'list_created' },
  /** `<lower-cased filename>\u0000<id>`: by name. */
  filename: { name: 'byFilename', partitionKey: listPartitionAttribute, sortKey: 'list_filename' },
  /** `<size, 16 digits>#<id>`: largest first. */
  size: { name: 'bySize', partitionKey: listPartitionAttribute, sortKey: 'list_size' },
} as const satisfies Record<string, ListIndex>;
