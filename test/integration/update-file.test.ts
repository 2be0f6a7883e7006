import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });
const text = (name: string, extra?: Record<string, unknown>) => ({
  filename: name,
  mimeType: 'text/plain',
  bytes: Buffer.from(name),
  ...(extra ? { extra } : {}),
});

interface Listing {
  results: Entity[];
  next_cursor?: string;
}

describe('PATCH /v2/files/{id}', () => {
  it('merges the given metadata, keeps the rest and the versions, and sets _updated_at and a new ETag', async () => {
    // Prepare
    const { api } = context;
    const saved = await uploadFile(api, text('report.txt', { _tags: ['draft'], relations: [{ entity_id: 'order-1' }] }));
    const before = await api.get<Entity>(`/v2/files/${saved._id}`);

    // Act
    const answer = await api.patch<Entity>(`/v2/files/${saved._id}`, { _title: 'Q3 report', _tags: ['final'] });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ _title: 'Q3 report', _tags: ['final'], filename: 'report.txt', relations: [{ entity_id: 'order-1' }] });
    expect(answer.body.versions).toEqual(before.body.versions);
    expect(Date.parse(String(answer.body._updated_at))).toBeGreaterThanOrEqual(Date.parse(String(before.body._updated_at)));
    expect(answer.body._created_at).toBe(before.body._created_at);
    expect(answer.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(answer.headers.get('etag')).not.toBe(before.headers.get('etag'));
    const read = await api.get<Entity>(`/v2/files/${saved._id}`);
    expect(read.body).toEqual(answer.body);
    expect(read.headers.get('etag')).toBe(answer.headers.get('etag'));
  });

  it('applies an update whose If-Match is the current ETag, and refuses one with a stale ETag with 412 changing nothing', async () => {
    // Prepare
    const { api } = context;
    const saved = await uploadFile(api, text('contract.txt'));
    const etag = (await api.get(`/v2/files/${saved._id}`)).headers.get('etag') ?? '';
    const first = await api.patch<Entity>(`/v2/files/${saved._id}`, { filename: 'contract-v2.txt' }, { 'if-match': etag });

    // Act
    const second = await api.patch(`/v2/files/${saved._id}`, { filename: 'contract-mine.txt' }, { 'if-match': etag });

    // Assess
    expect(first.status).toBe(200);
    expectRefusal(second, 412);
    expect(String(second.body.error)).toContain(first.headers.get('etag') ?? 'missing');
    expect((await api.get<Entity>(`/v2/files/${saved._id}`)).body.filename).toBe('contract-v2.txt');
  });

  it('lets two concurrent editors both apply their changes without If-Match, each on the other’s result', async () => {
    // Prepare
    const { api } = context;
    const saved = await uploadFile(api, text('shared.txt'));

    // Act
    const answers = await Promise.all([
      api.patch(`/v2/files/${saved._id}`, { _title: 'by one' }),
      api.patch(`/v2/files/${saved._id}`, { _tags: ['by-two'] }),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    const read = await api.get<Entity>(`/v2/files/${saved._id}`);
    expect(read.body).toMatchObject({ _title: 'by one', _tags: ['by-two'] });
    expect(read.headers.get('etag')).toBe(`"${1 + 2}"`);
  });

  it('makes a new relation findable at once and a removed one unfindable, in the same write', async () => {
    // Prepare
    const { api } = context;
    const order = `order-${randomUUID()}`;
    const contact = `contact-${randomUUID()}`;
    const saved = await uploadFile(api, text('invoice.txt', { relations: [{ entity_id: order }] }));

    // Act
    const moved = await api.patch(`/v2/files/${saved._id}`, { relations: [{ entity_id: contact, _tags: ['billing'] }] });
    const byContact = await api.get<Listing>(`/v2/files?relation=${contact}`);
    const byOrder = await api.get<Listing>(`/v2/files?relation=${order}`);

    // Assess
    expect(moved.status).toBe(200);
    expect(byContact.body.results.map((entity) => entity._id)).toEqual([saved._id]);
    expect(byContact.body.results[0]?.relations).toEqual([{ entity_id: contact, _tags: ['billing'] }]);
    expect(byOrder.body.results).toEqual([]);
  });

  it.each([
    ['an empty body', {}],
    ['a field it cannot change', { mime_type: 'image/png' }],
    ['a read-only field next to one it can change', { _title: 'x', size_bytes: 1 }],
    ['an unknown access_control', { access_control: 'public' }],
    ['41 relations', { relations: Array.from({ length: 41 }, (_, index) => ({ entity_id: `e-${index}` })) }],
    ['a blank filename', { filename: '   ' }],
    ['tags that are not strings', { _tags: [1, 2] }],
  ])('refuses %s with 400 and changes nothing', async (_case, body) => {
    // Prepare
    const { api } = context;
    const saved = await uploadFile(api, text('untouched.txt'));
    const before = await api.get(`/v2/files/${saved._id}`);

    // Act
    const answer = await api.patch(`/v2/files/${saved._id}`, body);

    // Assess
    expectRefusal(answer, 400);
    const after = await api.get(`/v2/files/${saved._id}`);
    expect(after.body).toEqual(before.body);
    expect(after.headers.get('etag')).toBe(before.headers.get('etag'));
  });

  it('answers 404 for an unknown, a deleted and another org’s file', async () => {
    // Prepare
    const { api, stack } = context;
    const other = new Api(stack.url, await stack.auth.sign({ org: 'org-b', user: 'bob' }));
    const theirs = await uploadFile(other, text('theirs.txt'));
    const deleted = await uploadFile(api, text('gone.txt'));
    await api.delete(`/v2/files/${deleted._id}`);

    // Act
    const answers = await Promise.all(
      [randomUUID(), deleted._id, theirs._id].map((id) => api.patch(`/v2/files/${id}`, { _title: 'mine now' })),
    );

    // Assess
    answers.forEach((answer) => expectRefusal(answer, 404));
    expect((await other.get<Entity>(`/v2/files/${theirs._id}`)).body._title).toBe('theirs.txt');
  });
});

describe('saveFileV2 with _id and no s3ref', () => {
  it('updates the metadata as PATCH does, without adding a version', async () => {
    // Prepare
    const { api } = context;
    const saved = await uploadFile(api, text('notes.txt'));

    // Act
    const answer = await api.post<Entity>('/v2/files', { _id: saved._id, _title: 'Meeting notes', access_control: 'public-read', type: 'image' });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ _id: saved._id, _title: 'Meeting notes', access_control: 'public-read', type: 'text' });
    expect(answer.body.versions).toHaveLength(1);
    expect(answer.headers.get('etag')).toBe('"2"');
  });
});
