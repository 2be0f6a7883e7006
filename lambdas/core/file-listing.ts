import { createHash } from 'node:crypto';
import { BadRequestError } from './errors';
import type { FileType } from './file-types';
import { mimeEssence, readableSize } from './file-types';
import type { AccessControl, Caller, FileEntity, FileRecord } from './model';
import { may, principalsOf, userPrincipal } from './access';
import { guardOf, publicFileUrl, toFileEntity } from './model';
import type { FileIndex, ListIndexName, ShardPage, ShardPageRequest } from './ports';

export const listSorts = ['-created_at', 'created_at', 'filename', '-size_bytes'] as const;
export type ListSort = (typeof listSorts)[number];

/** GET /v2/files: filters that all apply together, an order, and where the last page ended. */
export interface ListQuery {
  limit: number;
  cursor?: string;
  sort: ListSort;
  /** Case-insensitive substring of the filename or the title. */
  q?: string;
  type?: FileType;
  /** Exact (`application/pdf`) or a whole top-level type (`image/*`). */
  mime_type?: string;
  /** Without the dot, any case. */
  extension?: string;
  size_min?: number;
  size_max?: number;
  created_by?: string;
  /** ISO 8601; files created at or after it. */
  created_after?: string;
  /** ISO 8601; files created before it. */
  created_before?: string;
  tag?: string;
  /** Files related to this entity id, read from the reverse index. */
  relation?: string;
  access_control?: AccessControl;
  /** Other orgs' files shared with the caller or the caller's org, instead of the org's own. */
  shared?: boolean;
}

export interface ListPage {
  results: FileEntity[];
  /** Present when more files may match: pass it as `cursor` with the same filters. */
  next_cursor?: string;
}

const sortIndexes: Record<ListSort, { index: ListIndexName; descending: boolean }> = {
  '-created_at': { index: 'created', descending: true },
  created_at: { index: 'created', descending: false },
  filename: { index: 'filename', descending: false },
  '-size_bytes': { index: 'size', descending: true },
};

/**
 * What one request may read: index entries evaluated against the filters. A selective filter
 * over a large org ends a page early with a cursor to go on, rather than reading without end.
 */
export const listWorkBudget = { entries: 4000, reads: 40 } as const;
/** Lambda answers at most 6 MB; a page keeps clear of it, whatever its files carry. */
const maxPageBytes = 5 * 1024 * 1024;
const cursorVersion = 1;

/** One ordered stream of index entries: a shard of a list index, or the reverse index. */
interface Source {
  buffer: Array<{ sortKey: string; record?: FileRecord }>;
  /** Where the next read starts (exclusive); undefined before the first read. */
  after?: string;
  done: boolean;
  read(after: string | undefined, limit: number): Promise<{ entries: Source['buffer']; lastSortKey?: string }>;
}

/**
 * Lists and searches the files a caller may view. Every read is a Query of one partition of
 * a list index (or of one entity's reverse index), never a Scan; the partitions are merged in
 * order. Which partitions is where access is decided (lambdas/core/access.ts `listingGrants`):
 * - an org's admin or service token reads all of the org's shards;
 * - any other user reads the org-wide shards and the files listed under themselves;
 * - `shared` reads the other orgs' files listed under the caller's org and under the caller.
 * So a file the caller may not view is never read, however many there are. A cursor is the
 * sort key where the previous page stopped, bound to the org and the query.
 */
export class FileListing {
  constructor(private readonly index: FileIndex) {}

  async list(caller: Caller, query: ListQuery): Promise<ListPage> {
    const order = sortIndexes[query.sort];
    if (query.relation !== undefined && order.index !== 'created') {
      throw new BadRequestError('sort must be -created_at or created_at when listing by relation');
    }
    const fingerprint = fingerprintOf(query);
    const start = query.cursor === undefined ? undefined : readCursor(query.cursor, caller.org, fingerprint);
    const created = createdRange(query);
    const sources = this.sourcesOf(caller, query, order, created, start);

    const filters = matcher(query);
    // The partitions read hold only files the caller may view; an index entry that lags a
    // change of the file's grants is caught here.
    const matches = (record: FileRecord) => filters(record) && may(caller, guardOf(record), 'view');
    const results: FileEntity[] = [];
    let bytes = 0;
    let position = start;
    let entries = 0;
    let reads = 0;
    const filtered = hasFilters(query);
    // Unfiltered, each source holds about its share of the page; a filter may skip many entries.
    const firstRead = filtered ? 100 : Math.ceil(query.limit / sources.length) + 1;
    let readSize = firstRead;
    while (results.length < query.limit) {
      const empty = sources.filter((source) => source.buffer.length === 0 && !source.done);
      if (empty.length > 0) {
        if (reads > 0 && (entries >= listWorkBudget.entries || reads + empty.length > listWorkBudget.reads)) break;
        // Unfiltered, a shard that ran dry can give at most what the page still lacks.
        const limit = reads === 0 ? firstRead : filtered ? readSize : Math.min(readSize, query.limit - results.length + 1);
        const pages = await Promise.all(empty.map((source) => source.read(source.after, limit)));
        empty.forEach((source, index) => {
          const page = pages[index] as Awaited<ReturnType<Source['read']>>;
          source.buffer.push(...page.entries);
          entries += page.entries.length;
          if (page.lastSortKey === undefined) source.done = true;
          else source.after = page.lastSortKey;
        });
        reads += empty.length;
        if (reads > sources.length) readSize = Math.min(readSize * 2, 500);
        continue;
      }
      const next = nextInOrder(sources, order.descending);
      if (!next) return { results };
      const entry = next.buffer[0] as Source['buffer'][number];
      // Sort keys end in the file's id: a file listed under two of the caller's principals
      // comes out of both partitions with the same key, and is taken once.
      if (entry.sortKey !== position && entry.record && matches(entry.record)) {
        const entity = listEntity(caller, entry.record);
        const size = Buffer.byteLength(JSON.stringify(entity));
        if (results.length > 0 && bytes + size > maxPageBytes) break;
        results.push(entity);
        bytes += size;
      }
      next.buffer.shift();
      position = entry.sortKey;
    }
    if (sources.every((source) => source.done && source.buffer.length === 0)) return { results };
    return position === undefined ? { results } : { results, next_cursor: writeCursor(caller.org, fingerprint, position) };
  }

  /** The partitions this caller's listing reads (see the class's comment). */
  private sourcesOf(
    caller: Caller,
    query: ListQuery,
    order: { index: ListIndexName; descending: boolean },
    created: { from?: string; before?: string } | undefined,
    start: string | undefined,
  ): Source[] {
    if (query.relation !== undefined) {
      if (query.shared) throw new BadRequestError('relation finds files of your own org: it cannot be combined with shared=true');
      return [this.relatedSource(caller.org, query.relation, order.descending, created, start)];
    }
    // One partition of a list index, read in the query's order and created range.
    const indexSource = (read: (request: ShardPageRequest) => Promise<ShardPage>): Source => ({
      buffer: [],
      ...(start !== undefined ? { after: start } : {}),
      done: false,
      read: (after, limit) => read({ ...order, limit, ...(after !== undefined ? { after } : {}), ...(created ? { created } : {}) }),
    });
    if (query.shared) {
      return principalsOf(caller).map((principal) => indexSource((request) => this.index.readGrants(principal, true, request)));
    }
    const shards = (restricted: boolean) =>
      Array.from({ length: this.index.shards }, (_, shard) =>
        indexSource((request) => this.index.readShard(caller.org, shard, request, restricted)),
      );
    const own = userPrincipal(caller.org, caller.userId);
    return caller.admin === true || caller.service === true
      ? [...shards(false), ...shards(true)]
      : [...shards(false), indexSource((request) => this.index.readGrants(own, false, request))];
  }

  private relatedSource(
    org: string,
    entityId: string,
    descending: boolean,
    created: { from?: string; before?: string } | undefined,
    start: string | undefined,
  ): Source {
    return {
      buffer: [],
      ...(start !== undefined ? { after: start } : {}),
      done: false,
      read: async (after, limit) => {
        const page = await this.index.readRelated(org, entityId, {
          descending,
          limit: Math.min(limit, 100),
          ...(after !== undefined ? { after } : {}),
          ...(created ? { created } : {}),
        });
        const records = page.entries.length > 0 ? await this.index.getMany(org, page.entries.map((entry) => entry.fileId)) : [];
        const byId = new Map(records.map((record) => [record.id, record]));
        return {
          entries: page.entries.map((entry) => {
            const record = byId.get(entry.fileId);
            return { sortKey: entry.sortKey, ...(record ? { record } : {}) };
          }),
          ...(page.lastSortKey !== undefined ? { lastSortKey: page.lastSortKey } : {}),
        };
      },
    };
  }
}

/** The source whose head comes first in the order read; every other source has a head too. */
function nextInOrder(sources: Source[], descending: boolean): Source | undefined {
  let best: Source | undefined;
  for (const source of sources) {
    const head = source.buffer[0];
    if (!head) continue;
    const bestHead = best?.buffer[0];
    if (!bestHead) {
      best = source;
      continue;
    }
    // DynamoDB orders string keys by their UTF-8 bytes, which JavaScript's < does not.
    const comparison = Buffer.compare(Buffer.from(head.sortKey), Buffer.from(bestHead.sortKey));
    if (descending ? comparison > 0 : comparison < 0) best = source;
  }
  return best;
}

/** Filters that drop index entries; a relation picks the index instead. */
function hasFilters(query: ListQuery): boolean {
  return filterFields.some((field) => field !== 'relation' && query[field] !== undefined);
}

const filterFields = [
  'q',
  'type',
  'mime_type',
  'extension',
  'size_min',
  'size_max',
  'created_by',
  'created_after',
  'created_before',
  'tag',
  'relation',
  'access_control',
] as const satisfies ReadonlyArray<keyof ListQuery>;

/** The created-time bounds a read of the created index or the reverse index can use as its key range. */
function createdRange(query: ListQuery): { from?: string; before?: string } | undefined {
  if (query.created_after === undefined && query.created_before === undefined) return undefined;
  if (sortIndexes[query.sort].index !== 'created') return undefined;
  return {
    ...(query.created_after !== undefined ? { from: query.created_after } : {}),
    ...(query.created_before !== undefined ? { before: query.created_before } : {}),
  };
}

/** Whether an entity read from an index satisfies every filter of the query. */
export function matcher(query: ListQuery): (record: FileRecord) => boolean {
  const q = query.q?.toLowerCase();
  const extension = query.extension?.replace(/^\./, '').toLowerCase();
  const mime = query.mime_type?.toLowerCase();
  return (record) =>
    record.status === 'active' &&
    (q === undefined || record.filename.toLowerCase().includes(q) || record.title.toLowerCase().includes(q)) &&
    (query.type === undefined || record.type === query.type) &&
    (mime === undefined ||
      (mime.endsWith('/*') ? mimeEssence(record.mime_type).startsWith(mime.slice(0, -1)) : mimeEssence(record.mime_type) === mime)) &&
    (extension === undefined || extensionOf(record.filename) === extension) &&
    (query.size_min === undefined || record.size_bytes >= query.size_min) &&
    (query.size_max === undefined || record.size_bytes <= query.size_max) &&
    (query.created_by === undefined || record.created_by === query.created_by) &&
    (query.created_after === undefined || record.created_at >= query.created_after) &&
    (query.created_before === undefined || record.created_at < query.created_before) &&
    (query.tag === undefined || record.tags.includes(query.tag)) &&
    (query.relation === undefined || record.relations.some((relation) => relation.entity_id === query.relation)) &&
    (query.access_control === undefined || record.access_control === query.access_control);
}

function extensionOf(filename: string): string | undefined {
  const dot = filename.lastIndexOf('.');
  return dot > 0 && dot < filename.length - 1 ? filename.slice(dot + 1).toLowerCase() : undefined;
}

/**
 * A listed file: the entity as getFile shows it, with its latest version only (the entity
 * item carries it; older versions are one GET away).
 */
function listEntity(caller: Caller, record: FileRecord): FileEntity {
  const entity = toFileEntity(record, [], publicFileUrl(caller.apiUrl, record.org, record.id));
  const latest = record.latest ?? { filename: record.filename, mime_type: record.mime_type, size_bytes: record.size_bytes };
  return {
    ...entity,
    versions: [{ s3ref: record.s3ref, ...latest, readable_size: readableSize(latest.size_bytes) }],
  };
}

/** Names the query a cursor belongs to: every filter and the order, not the page size. */
function fingerprintOf(query: ListQuery): string {
  const { limit: _limit, cursor: _cursor, ...rest } = query;
  const canonical = Object.entries(rest)
    // shared=false is the listing without it.
    .filter(([, value]) => value !== undefined && value !== false)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return digest(JSON.stringify(canonical));
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

function writeCursor(org: string, fingerprint: string, position: string): string {
  return Buffer.from(JSON.stringify({ v: cursorVersion, o: digest(org), f: fingerprint, p: position })).toString('base64url');
}

/**
 * Where the page before stopped. A cursor of another org or of other filters is refused: its
 * position means nothing in this query. Whatever a cursor says, every read stays in the
 * caller's org, so an edited one can reveal nothing.
 */
function readCursor(cursor: string, org: string, fingerprint: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const fields = parsed as { v?: unknown; o?: unknown; f?: unknown; p?: unknown } | undefined;
  if (
    !fields ||
    typeof fields !== 'object' ||
    fields.v !== cursorVersion ||
    typeof fields.p !== 'string' ||
    fields.p === '' ||
    Buffer.byteLength(fields.p) > 1024
  ) {
    throw new BadRequestError('cursor is not a cursor this API returned: start again without it');
  }
  if (fields.o !== digest(org) || fields.f !== fingerprint) {
    throw new BadRequestError('cursor belongs to another query: pass the same filters and sort as the page that returned it');
  }
  return fields.p;
}
