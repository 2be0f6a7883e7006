import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, downloadBytes, putBytes, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

const text = (content: string, filename = 'note.txt') => ({ filename, mimeType: 'text/plain', bytes: Buffer.from(content) });

/** POST /v2/files/{id}:copy over real HTTP. */
function copy(api: Api, id: string, body?: Record<string, unknown>) {
  return api.post<Entity>(`/v2/files/${id}:copy`, body);
}

describe('POST /v2/files/{id}:copy', () => {
  const context = useLocalStack({ sweepIntervalMs: 0, ttlIntervalMs: 0 });
  const as = (org: string, user: string) => context.stack.auth.sign({ org, user }).then((token) => new Api(context.stack.url, token));

  it('makes a new file of the latest version: its own id and key, identical bytes, type and checksum', async () => {
    // Prepare: a file with two versions, the second uploaded with its SHA-256.
    const { api, stack } = context;
    const file = await uploadFile(api, text('first', 'report.txt'));
    const bytes = Buffer.from('second, checked');
    const checksum = createHash('sha256').update(bytes).digest('base64');
    const ticket = await api.post<Ticket>(`/v2/files/upload?file_entity_id=${file._id}`, { filename: 'report.txt', mime_type: 'text/plain', checksum_sha256: checksum });
    await fetch(ticket.body.upload_url, { method: 'PUT', body: bytes, headers: { 'content-type': 'text/plain', 'x-amz-checksum-sha256': checksum } });
    expect((await api.post('/v2/files', { s3ref: ticket.body.s3ref, _id: file._id })).status).toBe(200);

    // Act
    const copied = await copy(api, file._id);

    // Assess
    expect(copied.status).toBe(201);
    expect(copied.body._id).not.toBe(file._id);
    expect(copied.body).toMatchObject({ _org: 'org-a', filename: 'report.txt', mime_type: 'text/plain', size_bytes: bytes.length, checksum_sha256: checksum });
    expect(copied.body.versions).toHaveLength(1);
    expect(copied.body.versions[0]?.s3ref.key).toMatch(new RegExp(`^files/org-a/${copied.body._id}/[0-9a-f-]{36}/report\\.txt$`));
    expect(await downloadBytes(api, copied.body._id)).toEqual(bytes);
    expect((await api.get(`/v2/files/${copied.body._id}`)).body).toEqual(copied.body);
    // As any new file, the copy is announced from the table's stream.
    await stack.events.waitFor((event) => event['detail-type'] === 'FileCreated' && event.detail.file_id === copied.body._id, 15_000);
  });

  it('copies the chosen version, 1 being the one before the latest, with the metadata asked for', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('old bytes'));
    await uploadFile(api, { ...text('new bytes'), id: file._id });

    // Act
    const copied = await copy(api, file._id, { version: 1, filename: 'old.txt', _title: 'Old', _tags: ['copied'], relations: [{ entity_id: 'order-7' }] });

    // Assess
    expect(copied.status).toBe(201);
    expect(copied.body).toMatchObject({ filename: 'old.txt', _title: 'Old', _tags: ['copied'], relations: [{ entity_id: 'order-7' }] });
    expect((await downloadBytes(api, copied.body._id)).toString()).toBe('old bytes');
  });

  it('adds the bytes as a new version of another file of the org with file_entity_id, answering 200', async () => {
    // Prepare
    const { api } = context;
    const source = await uploadFile(api, text('source bytes'));
    const target = await uploadFile(api, text('target bytes', 'target.txt'));

    // Act
    const copied = await copy(api, source._id, { file_entity_id: target._id });

    // Assess
    expect(copied.status).toBe(200);
    expect(copied.body._id).toBe(target._id);
    expect(copied.body.versions).toHaveLength(2);
    expect((await downloadBytes(api, target._id, 0)).toString()).toBe('source bytes');
    expect((await downloadBytes(api, target._id, 1)).toString()).toBe('target bytes');
  });

  it("answers 404 for another org's file as source and as target, and changes nothing", async () => {
    // Prepare
    const { api, storage } = context;
    const mine = await uploadFile(api, text('mine'));
    const theirs = await uploadFile(await as('org-b', 'bob'), text('theirs'));
    const before = [await storage.keys(), await storage.items()];

    // Act
    const answers = [await copy(api, theirs._id), await copy(api, mine._id, { file_entity_id: theirs._id })];

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([404, 404]);
    expect(answers.map((answer) => answer.body)).toEqual([
      { status: 404, error: `File ${theirs._id} not found` },
      { status: 404, error: `File ${theirs._id} not found` },
    ]);
    expect([await storage.keys(), await storage.items()]).toEqual(before);
  });

  it('answers 403 for a target the caller may view but not change, and changes nothing', async () => {
    // Prepare: alice's file that the rest of org-a may only view.
    const { api, storage } = context;
    const source = await uploadFile(api, text('source'));
    const target = await uploadFile(api, { ...text('read-only'), extra: { _acl: { view: ['org:org-a'] } } });
    const bob = await as('org-a', 'bob');
    const before = [await storage.keys(), await storage.items()];

    // Act
    const answer = await copy(bob, source._id, { file_entity_id: target._id });

    // Assess
    expect(answer.status).toBe(403);
    expect([await storage.keys(), await storage.items()]).toEqual(before);
  });

  it("copies a file another org shares with the caller into a file of the caller's own org", async () => {
    // Prepare
    const { api } = context;
    const theirs = await uploadFile(await as('org-b', 'bob'), { ...text('shared with org-a'), extra: { _acl: { view: ['org:org-a'] } } });

    // Act
    const copied = await copy(api, theirs._id);

    // Assess
    expect(copied.status).toBe(201);
    expect(copied.body).toMatchObject({ _org: 'org-a', _acl: { view: ['org:org-a'], edit: ['org:org-a'], delete: ['org:org-a'] } });
    expect(copied.body.versions[0]?.s3ref.key).toMatch(/^files\/org-a\//);
    expect((await downloadBytes(api, copied.body._id)).toString()).toBe('shared with org-a');
  });

  it('leaves no bytes behind when the file cannot be written after the copy: the orphan reaper deletes them', async () => {
    // Prepare: the transaction that writes the new file fails, after the copy was made.
    const { api, stack, storage } = context;
    const source = await uploadFile(api, text('to be copied'));
    const before = await storage.keys('files/org-a/');
    stack.faults.inject({ service: 'dynamodb', action: 'TransactWriteItems', function: 'copyFile', mode: 'before' });

    // Act
    const answer = await copy(api, source._id);
    stack.faults.clear();
    const left = (await storage.keys('files/org-a/')).filter((key) => !before.includes(key));
    // The intent expires (TTL, here run at once for a time after its expiry) and the reaper removes the copy.
    await stack.expireItems(new Date(Date.now() + 26 * 3600 * 1000));

    // Assess
    expect(answer.status).toBe(503);
    expect(left).toHaveLength(1);
    expect(await storage.keys('files/org-a/')).toEqual(before);
  });
});

describe('POST /v2/files/{segment} that is not a copy', () => {
  const context = useLocalStack({ sweepIntervalMs: 0 });

  it('answers 404 {"message":"Not Found"} as API Gateway does for a path it has no route for', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('x'));

    // Act
    const answers = await Promise.all([api.post(`/v2/files/${file._id}`, {}), api.post(`/v2/files/${file._id}:move`, {})]);

    // Assess
    expect(answers.map((answer) => [answer.status, answer.body])).toEqual([
      [404, { message: 'Not Found' }],
      [404, { message: 'Not Found' }],
    ]);
  });

  it('still saves through POST /v2/files and uploads through POST /v2/files/upload', async () => {
    // Prepare
    const { api } = context;

    // Act
    const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('a'), 'text/plain');
    const saved = await api.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect([ticket.status, saved.status]).toEqual([201, 201]);
  });
});
