import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });

interface Listing {
  results: Entity[];
  next_cursor?: string;
}

/** A user of a fresh org, so each test sees only the files it made. */
async function freshOrg(user = 'alice'): Promise<{ api: Api; org: string }> {
  const org = `org-${randomUUID()}`;
  return { api: new Api(context.stack.url, await context.stack.auth.sign({ org, user })), org };
}

function file(filename: string, mimeType: string, bytes: string | Buffer, extra?: Record<string, unknown>) {
  return { filename, mimeType, bytes: Buffer.from(bytes), ...(extra ? { extra } : {}) };
}

const ids = (listing: { results: Entity[] }) => listing.results.map((entity) => entity._id);

/** Every page of a query, following next_cursor. */
async function allPages(api: Api, query: string): Promise<{ pages: Listing[]; ids: string[] }> {
  const pages: Listing[] = [];
  let cursor: string | undefined;
  do {
    const answer = await api.get<Listing>(`/v2/files?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status).toBe(200);
    pages.push(answer.body);
    cursor = answer.body.next_cursor;
  } while (cursor && pages.length < 50);
  return { pages, ids: pages.flatMap(ids) };
}

const pngBytes = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

describe('GET /v2/files', () => {
  it('lists only the caller’s org, newest first, a page of `limit` at a time, each file once', async () => {
    // Prepare
    const { api } = await freshOrg();
    const other = await freshOrg();
    const saved: Entity[] = [];
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt', 'e.txt', 'f.txt', 'g.txt']) {
      saved.push(await uploadFile(api, file(name, 'text/plain', name)));
    }
    await uploadFile(other.api, file('theirs.txt', 'text/plain', 'x'));

    // Act
    const listed = await allPages(api, 'limit=3');

    // Assess
    expect(listed.pages.map((page) => page.results.length)).toEqual([3, 3, 1]);
    expect(listed.ids).toEqual(saved.map((entity) => entity._id).reverse());
    expect(listed.pages.at(-1)?.next_cursor).toBeUndefined();
    expect(listed.pages[0]?.results[0]).toMatchObject({ _id: saved[6]?._id, _org: saved[6]?._org, filename: 'g.txt', versions: [{ filename: 'g.txt', size_bytes: 5 }] });
  });

  it('sorts oldest first, by filename, and largest first', async () => {
    // Prepare
    const { api } = await freshOrg();
    const b = await uploadFile(api, file('Banana.txt', 'text/plain', 'xx'));
    const a = await uploadFile(api, file('apple.txt', 'text/plain', 'xxxxx'));
    const c = await uploadFile(api, file('cherry.txt', 'text/plain', 'x'));

    // Act
    const [oldest, byName, largest] = await Promise.all(
      ['created_at', 'filename', '-size_bytes'].map((sort) => api.get<Listing>(`/v2/files?sort=${sort}`)),
    );

    // Assess
    expect(ids(oldest!.body)).toEqual([b._id, a._id, c._id]);
    expect(ids(byName!.body)).toEqual([a._id, b._id, c._id]);
    expect(ids(largest!.body)).toEqual([a._id, b._id, c._id]);
  });

  it('combines filters: q, type, mime_type, extension, sizes, creator, creation time, tag, relation and access_control', async () => {
    // Prepare
    const { api, org } = await freshOrg('alice');
    const bob = new Api(context.stack.url, await context.stack.auth.sign({ org, user: 'bob' }));
    const invoice = await uploadFile(api, file('Invoice-2024.PDF', 'application/pdf', '%PDF-1.4 invoice!!', { _tags: ['finance'], relations: [{ entity_id: 'order-1' }] }));
    const photo = await uploadFile(api, file('photo.png', 'image/png', pngBytes, { _title: 'Team INVOICE party', access_control: 'public-read' }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const notes = await uploadFile(bob, file('notes.txt', 'text/plain', 'some longer notes here', { _tags: ['finance'] }));
    const search = async (query: string) => ids((await api.get<Listing>(`/v2/files?${query}`)).body);

    // Act / Assess
    expect(await search('q=invoice')).toEqual([photo._id, invoice._id]);
    expect(await search('q=INVOICE&type=image')).toEqual([photo._id]);
    expect(await search('mime_type=image/*')).toEqual([photo._id]);
    expect(await search('mime_type=application/pdf')).toEqual([invoice._id]);
    expect(await search('extension=pdf')).toEqual([invoice._id]);
    expect(await search('extension=.TXT')).toEqual([notes._id]);
    expect(await search('size_min=17&size_max=18')).toEqual([invoice._id]);
    expect(await search('created_by=bob')).toEqual([notes._id]);
    expect(await search(`created_after=${between}`)).toEqual([notes._id]);
    expect(await search(`created_before=${between}&sort=created_at`)).toEqual([invoice._id, photo._id]);
    expect(await search(`created_before=${between}&sort=filename`)).toEqual([invoice._id, photo._id]);
    expect(await search('tag=finance')).toEqual([notes._id, invoice._id]);
    expect(await search('tag=finance&created_by=alice')).toEqual([invoice._id]);
    expect(await search('relation=order-1')).toEqual([invoice._id]);
    expect(await search('relation=order-1&tag=nothing')).toEqual([]);
    expect(await search('access_control=public-read')).toEqual([photo._id]);
    expect(await search('q=nothing-matches')).toEqual([]);
  });

  it('finds a file by relation right after the save that set it, and no longer after its delete', async () => {
    // Prepare
    const { api } = await freshOrg();
    const order = `order-${randomUUID()}`;

    // Act
    const saved = await uploadFile(api, file('invoice.txt', 'text/plain', 'x', { relations: [{ entity_id: order, _tags: ['invoice'] }] }));
    const found = await api.get<Listing>(`/v2/files?relation=${order}`);
    await api.delete(`/v2/files/${saved._id}`);
    const afterDelete = await api.get<Listing>(`/v2/files?relation=${order}`);
    const listedAfterDelete = await api.get<Listing>('/v2/files');

    // Assess
    expect(ids(found.body)).toEqual([saved._id]);
    expect(afterDelete.body.results).toEqual([]);
    expect(listedAfterDelete.body.results).toEqual([]);
  });

  it('never skips or repeats a file that existed when paging began, while files are being added', async () => {
    // Prepare
    const { api } = await freshOrg();
    const existing: string[] = [];
    for (let index = 0; index < 10; index += 1) existing.push((await uploadFile(api, file(`old-${index}.txt`, 'text/plain', 'x')))._id);

    // Act: page through newest-first and by name while new files keep arriving.
    const adding = (async () => {
      const added: string[] = [];
      for (let index = 0; index < 6; index += 1) added.push((await uploadFile(api, file(`new-${index}.txt`, 'text/plain', 'y')))._id);
      return added;
    })();
    const [byTime, byName] = await Promise.all([allPages(api, 'limit=2'), allPages(api, 'limit=2&sort=filename')]);
    const added = await adding;

    // Assess
    for (const listed of [byTime, byName]) {
      expect(new Set(listed.ids).size).toBe(listed.ids.length);
      expect(listed.ids.filter((id) => existing.includes(id)).sort()).toEqual([...existing].sort());
      expect(listed.ids.every((id) => existing.includes(id) || added.includes(id))).toBe(true);
    }
  });

  it('reads with Query (and BatchGetItem for relations) only, never a Scan', async () => {
    // Prepare
    const { api } = await freshOrg();
    await uploadFile(api, file('a.txt', 'text/plain', 'a', { relations: [{ entity_id: 'order-q' }] }));
    context.stack.faults.clear();

    // Act
    for (const query of ['', 'q=a&sort=filename', 'sort=-size_bytes&tag=x', 'relation=order-q']) {
      expect((await api.get(`/v2/files?${query}`)).status).toBe(200);
    }

    // Assess
    const actions = new Set(context.stack.faults.calls().filter((call) => call.function === 'listFiles').map((call) => call.action));
    expect([...actions].sort()).toEqual(['BatchGetItem', 'Query']);
  });

  it('refuses another org’s cursor, a cursor reused with other filters and an edited cursor with 400', async () => {
    // Prepare
    const { api } = await freshOrg();
    const other = await freshOrg();
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      await uploadFile(api, file(name, 'text/plain', name));
      await uploadFile(other.api, file(name, 'text/plain', name));
    }
    const theirs = (await other.api.get<Listing>('/v2/files?limit=1')).body.next_cursor ?? '';
    const mine = (await api.get<Listing>('/v2/files?limit=1')).body.next_cursor ?? '';
    const decoded = JSON.parse(Buffer.from(mine, 'base64url').toString()) as Record<string, unknown>;
    const edited = Buffer.from(JSON.stringify({ ...decoded, p: 5 })).toString('base64url');

    // Act
    const answers = await Promise.all([
      api.get(`/v2/files?limit=1&cursor=${theirs}`),
      api.get(`/v2/files?limit=1&cursor=${mine}&sort=filename`),
      api.get(`/v2/files?limit=1&cursor=${mine}&q=a`),
      api.get(`/v2/files?limit=1&cursor=${edited}`),
      api.get('/v2/files?cursor=not-a-cursor'),
    ]);
    const sameQuery = await api.get<Listing>(`/v2/files?limit=2&cursor=${mine}`);

    // Assess
    answers.forEach((answer) => expectRefusal(answer, 400));
    expect(sameQuery.status).toBe(200);
    expect(sameQuery.body.results).toHaveLength(2);
    expect(sameQuery.body.results.every((entity) => entity._org === decoded.o || entity._org !== other.org)).toBe(true);
  });

  it.each([
    ['limit=0'],
    ['limit=101'],
    ['limit=ten'],
    ['sort=size_bytes'],
    ['type=sheet'],
    ['mime_type=image'],
    ['size_min=-1'],
    ['size_min=10&size_max=5'],
    ['created_after=yesterday'],
    ['created_before=2024-13-45'],
    ['access_control=public'],
    ['q='],
    ['tags=finance'],
    ['relation=order-1&sort=filename'],
    [`q=${'x'.repeat(257)}`],
  ])('refuses %s with 400', async (query) => {
    // Act
    const answer = await context.api.get(`/v2/files?${query}`);

    // Assess
    expectRefusal(answer, 400);
  });
});
