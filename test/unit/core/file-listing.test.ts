import { describe, expect, it } from 'vitest';
import { shardOf } from '../../../lambdas/adapters/dynamo-file-repository';
import { HttpError } from '../../../lambdas/core/errors';
import { FileListing, listWorkBudget, matcher } from '../../../lambdas/core/file-listing';
import type { ListQuery, ListSort } from '../../../lambdas/core/file-listing';
import { listingGrants, may, orgPrincipal, orgWide, ownersOnlyAcl, userPrincipal } from '../../../lambdas/core/access';
import type { Caller, FileRecord } from '../../../lambdas/core/model';
import { guardOf } from '../../../lambdas/core/model';
import type { FileIndex, RelatedPage, RelatedPageRequest, ShardPage, ShardPageRequest } from '../../../lambdas/core/ports';

/** A deterministic generator, so a failing case can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function uuid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function records(org: string, count: number, seed: number): FileRecord[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, index) => {
    const created = new Date(Date.UTC(2024, 0, 1) + Math.floor(next() * 1e9)).toISOString();
    const name = `${['Invoice', 'photo', 'notes', 'Contract'][index % 4]}-${Math.floor(next() * 1000)}.${['pdf', 'png', 'txt'][index % 3]}`;
    return {
      id: uuid(next), org, title: name, filename: name, type: 'document', mime_type: 'application/pdf',
      size_bytes: Math.floor(next() * 5000), access_control: index % 5 === 0 ? 'public-read' : 'private',
      tags: index % 7 === 0 ? ['finance'] : [], relations: [], created_at: created, created_by: index % 2 ? 'alice' : 'bob',
      updated_at: created, latest_version: 1, s3ref: { bucket: 'b', key: `files/${org}/${index}` },
      status: index % 11 === 0 ? 'deleting' : 'active',
    } satisfies FileRecord;
  });
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The index as DynamoDB keeps it: per org and shard, ordered by UTF-8 bytes of the sort key. */
class MemoryIndex implements FileIndex {
  readonly shards = 4;
  entriesRead = 0;
  reads = 0;
  /** Every record a read returned, to show what a listing never reads. */
  seen: FileRecord[] = [];

  constructor(private readonly stored: FileRecord[]) {}

  async readShard(org: string, shard: number, request: ShardPageRequest, restricted = false): Promise<ShardPage> {
    return this.read(request, (record) => record.org === org && shardOf(record.id) === shard && orgWide(guardOf(record)) !== restricted);
  }

  async readGrants(principal: string, shared: boolean, request: ShardPageRequest): Promise<ShardPage> {
    return this.read(request, (record) =>
      listingGrants(guardOf(record)).some((grant) => grant.principal === principal && grant.shared === shared),
    );
  }

  private async read(request: ShardPageRequest, inPartition: (record: FileRecord) => boolean): Promise<ShardPage> {
    this.reads += 1;
    const keyOf = (record: FileRecord) =>
      request.index === 'created'
        ? `${record.created_at}#${record.id}`
        : request.index === 'filename'
          ? `${record.filename.toLowerCase()}\u0001${record.id}`
          : `${String(record.size_bytes).padStart(16, '0')}#${record.id}`;
    const ordered = this.stored
      .filter(inPartition)
      .map((record) => ({ sortKey: keyOf(record), record }))
      .filter(({ sortKey }) => (request.created?.from === undefined || sortKey >= request.created.from) && (request.created?.before === undefined || sortKey < request.created.before))
      .sort((a, b) => byBytes(a.sortKey, b.sortKey) * (request.descending ? -1 : 1))
      .filter(({ sortKey }) => request.after === undefined || byBytes(sortKey, request.after) * (request.descending ? -1 : 1) > 0);
    const entries = ordered.slice(0, request.limit);
    this.entriesRead += entries.length;
    this.seen.push(...entries.map((entry) => entry.record));
    return { entries, ...(ordered.length > request.limit ? { lastSortKey: entries.at(-1)?.sortKey } : {}) };
  }

  async readRelated(_org: string, _entityId: string, _request: RelatedPageRequest): Promise<RelatedPage> {
    return { entries: [] };
  }

  async getMany(org: string, ids: readonly string[]): Promise<FileRecord[]> {
    return this.stored.filter((record) => record.org === org && ids.includes(record.id));
  }
}

const caller: Caller = { org: 'org-a', userId: 'alice' };

async function everyPage(listing: FileListing, query: Omit<ListQuery, 'cursor'>, who = caller): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listing.list(who, { ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...page.results.map((entity) => entity._id));
    cursor = page.next_cursor;
    pages += 1;
  } while (cursor && pages < 1000);
  return { ids, pages };
}

function naive(stored: FileRecord[], query: Omit<ListQuery, 'cursor'>): string[] {
  const keep = matcher({ ...query });
  const order: Record<ListSort, (a: FileRecord, b: FileRecord) => number> = {
    '-created_at': (a, b) => byBytes(`${b.created_at}#${b.id}`, `${a.created_at}#${a.id}`),
    created_at: (a, b) => byBytes(`${a.created_at}#${a.id}`, `${b.created_at}#${b.id}`),
    filename: (a, b) => byBytes(`${a.filename.toLowerCase()}\u0001${a.id}`, `${b.filename.toLowerCase()}\u0001${b.id}`),
    '-size_bytes': (a, b) => b.size_bytes - a.size_bytes || byBytes(b.id, a.id),
  };
  return stored.filter((record) => record.org === caller.org && keep(record)).sort(order[query.sort]).map((record) => record.id);
}

describe('FileListing', () => {
  const stored = [...records('org-a', 600, 7), ...records('org-b', 300, 8)];

  it.each([
    ['-created_at', 25, {}],
    ['created_at', 7, {}],
    ['filename', 10, {}],
    ['-size_bytes', 100, {}],
    ['-created_at', 5, { q: 'INVOICE' }],
    ['filename', 3, { tag: 'finance', created_by: 'alice' }],
    ['-size_bytes', 9, { access_control: 'public-read', size_min: 1000 }],
    ['created_at', 4, { created_after: '2024-01-03T00:00:00.000Z', created_before: '2024-01-08T00:00:00.000Z' }],
    ['filename', 6, { created_after: '2024-01-03T00:00:00.000Z', extension: 'PDF' }],
  ] as const)('pages through sort %s, limit %i, filters %j exactly as one sorted, filtered list of the org', async (sort, limit, filters) => {
    // Prepare
    const listing = new FileListing(new MemoryIndex(stored));
    const query = { sort, limit, ...filters } as Omit<ListQuery, 'cursor'>;

    // Act
    const { ids, pages } = await everyPage(listing, query);

    // Assess
    const expected = naive(stored, query);
    expect(expected.length).toBeGreaterThan(0);
    expect(ids).toEqual(expected);
    expect(pages).toBeLessThanOrEqual(Math.ceil(expected.length / limit) + 1);
  });

  it('reads about one page worth of entries for an unfiltered first page, whatever the org size', async () => {
    // Prepare
    const index = new MemoryIndex([...records('org-a', 2000, 3), ...records('org-b', 5000, 4)]);

    // Act
    const page = await new FileListing(index).list(caller, { sort: '-created_at', limit: 25 });

    // Assess
    expect(page.results).toHaveLength(25);
    expect(index.entriesRead).toBeLessThanOrEqual(2 * 25);
  });

  it('ends a page early with a cursor once its work is spent, and the following pages find every match once', async () => {
    // Prepare: 9,000 files, and the only matches are the oldest five.
    const many = records('org-a', 9000, 5).map((record) => ({ ...record, status: 'active' as const, filename: 'other.txt', title: 'other' }));
    const oldest = [...many].sort((a, b) => byBytes(a.created_at + a.id, b.created_at + b.id)).slice(0, 5);
    for (const record of oldest) Object.assign(record, { filename: 'needle.txt', title: 'needle' });
    const index = new MemoryIndex(many);
    const listing = new FileListing(index);

    // Act
    const first = await listing.list(caller, { sort: '-created_at', limit: 10, q: 'needle' });
    const { ids } = await everyPage(listing, { sort: '-created_at', limit: 10, q: 'needle' });

    // Assess
    expect(first.results).toEqual([]);
    expect(first.next_cursor).toBeDefined();
    expect(index.entriesRead).toBeGreaterThan(0);
    expect(ids.sort()).toEqual(oldest.map((record) => record.id).sort());
  });

  it('bounds the work of one request', async () => {
    // Prepare
    const index = new MemoryIndex(records('org-a', 9000, 6).map((record) => ({ ...record, filename: 'x', title: 'x' })));

    // Act
    await new FileListing(index).list(caller, { sort: 'filename', limit: 100, q: 'no-such-file' });

    // Assess
    expect(index.entriesRead).toBeLessThanOrEqual(listWorkBudget.entries + index.shards * 500);
    expect(index.reads).toBeLessThanOrEqual(listWorkBudget.reads);
  });

  it('refuses a cursor of another org, of other filters or another sort, and one that was edited, with 400', async () => {
    // Prepare
    const listing = new FileListing(new MemoryIndex(stored));
    const cursor = (await listing.list(caller, { sort: '-created_at', limit: 2, tag: 'finance' })).next_cursor ?? '';
    const fields = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>;
    const attempts: Array<[Caller, ListQuery]> = [
      [{ org: 'org-b', userId: 'bob' }, { sort: '-created_at', limit: 2, tag: 'finance', cursor }],
      [caller, { sort: '-created_at', limit: 2, tag: 'other', cursor }],
      [caller, { sort: 'created_at', limit: 2, tag: 'finance', cursor }],
      [caller, { sort: '-created_at', limit: 2, cursor }],
      [caller, { sort: '-created_at', limit: 2, tag: 'finance', cursor: Buffer.from(JSON.stringify({ ...fields, p: 42 })).toString('base64url') }],
      [caller, { sort: '-created_at', limit: 2, tag: 'finance', cursor: `${cursor}x` }],
    ];

    // Act
    const outcomes = await Promise.all(attempts.map(([who, query]) => listing.list(who, query).then(() => 200, (error: HttpError) => error.status)));

    // Assess
    expect(outcomes).toEqual([400, 400, 400, 400, 400, 400]);
    expect((await listing.list(caller, { sort: '-created_at', limit: 2, tag: 'finance', cursor })).results).toHaveLength(2);
  });

  it('lists to every caller exactly the files they may view, their org’s or, with shared, other orgs’, each once, and reads no other', async () => {
    // Prepare: owners-only files, files shared with users or orgs (some twice), org-wide ones.
    const next = random(11);
    const people = ['alice', 'bob', 'carol'];
    const grantees = [orgPrincipal('org-a'), orgPrincipal('org-b'), userPrincipal('org-b', 'bob'), userPrincipal('org-a', 'bob'), userPrincipal('org-a', 'carol')];
    const files = [...records('org-a', 300, 12), ...records('org-b', 200, 13)].map((record) => {
      const owner = people[Math.floor(next() * 3)] as string;
      const wide = next() < 0.4;
      const view = grantees.filter(() => next() < 0.3);
      return {
        ...record,
        owners: [{ org_id: record.org, user_id: owner }],
        acl: { ...ownersOnlyAcl(), view: wide ? [orgPrincipal(record.org), ...view] : view },
      };
    });
    const index = new MemoryIndex(files);
    const listing = new FileListing(index);
    const callers: Caller[] = [
      { org: 'org-a', userId: 'alice' },
      { org: 'org-a', userId: 'bob' },
      { org: 'org-a', userId: 'root', admin: true },
      { org: 'org-a', userId: 'backend', service: true },
      { org: 'org-b', userId: 'bob' },
      { org: 'org-b', userId: 'zoe' },
      { org: 'org-b', userId: 'root', admin: true },
    ];

    for (const who of callers) {
      for (const shared of [false, true]) {
        // Act
        index.seen = [];
        const { ids } = await everyPage(listing, { sort: 'filename', limit: 7, shared }, who);

        // Assess
        const expected = files
          .filter((record) => record.status === 'active' && (record.org === who.org) !== shared && may(who, guardOf(record), 'view'))
          .sort((a, b) => byBytes(`${a.filename.toLowerCase()}\u0001${a.id}`, `${b.filename.toLowerCase()}\u0001${b.id}`))
          .map((record) => record.id);
        expect(expected.length).toBeGreaterThan(0);
        expect(ids).toEqual(expected);
        // The partitions read hold nothing the caller may not view: nothing is read to be dropped.
        expect(index.seen.filter((record) => !may(who, guardOf(record), 'view'))).toEqual([]);
      }
    }
  });

  it('refuses shared together with relation, with 400', async () => {
    // Prepare
    const listing = new FileListing(new MemoryIndex(stored));

    // Act
    const status = await listing.list(caller, { sort: '-created_at', limit: 5, shared: true, relation: 'contact-1' }).then(
      () => 200,
      (error: HttpError) => error.status,
    );

    // Assess
    expect(status).toBe(400);
  });
});
