import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { downloadBytes, putBytes, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { stageUpload } from './support/requests';
import { withRetries } from './support/retry';
import { useLocalStack } from './support/stack';
import { expectWholeFile } from './support/versions';

const maxUploadBytes = 1024 * 1024;
const tempExpirationDays = 1;
const dayMs = 24 * 60 * 60 * 1000;

const context = useLocalStack({ maxUploadBytes, tempExpirationDays, sweepIntervalMs: 0 });

describe('the three-step upload', () => {
  it('saves an upload as a file whose downloaded bytes equal the uploaded bytes', async () => {
    // Prepare
    const bytes = randomBytes(300 * 1024);

    // Act
    const entity = await uploadFile(context.api, { filename: 'scan.bin', mimeType: 'application/octet-stream', bytes });
    const downloaded = await downloadBytes(context.api, entity._id);

    // Assess
    expect(downloaded.equals(bytes)).toBe(true);
    expect(entity).toMatchObject({
      _schema: 'file',
      _org: 'org-a',
      filename: 'scan.bin',
      size_bytes: bytes.length,
      readable_size: '307 KB',
      access_control: 'private',
      s3ref: { bucket: context.stack.bucket },
    });
    expect(entity.s3ref.key).toMatch(new RegExp(`^files/org-a/${entity._id}/`));
    expect(entity.versions).toHaveLength(1);
  });

  it('derives the type from the MIME type and returns tags and relations as saved', async () => {
    // Prepare
    const relations = [{ entity_id: 'b3c1a4e2-1111-4c3d-9e8f-000000000001', _schema: 'contact' }];

    // Act
    const entity = await uploadFile(context.api, {
      filename: 'photo.png',
      mimeType: 'image/png',
      // A whole 1x1 PNG (the sniffer reads its chunks), then bytes of no meaning after its end.
      bytes: Buffer.concat([
        Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
        randomBytes(64),
      ]),
      extra: { _tags: ['invoice', '2026'], relations, access_control: 'public-read' },
    });
    const fetched = await context.api.get<Entity>(`/v2/files/${entity._id}`);

    // Assess
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ type: 'image', mime_type: 'image/png', _tags: ['invoice', '2026'], relations, access_control: 'public-read' });
  });

  it('keeps the filename verbatim in the entity while the object key stays one safe segment', async () => {
    // Prepare
    const filename = '../../etc/passwd \u202eFdp.exe Bericht März.txt';

    // Act
    const entity = await uploadFile(context.api, { filename, mimeType: 'text/plain', bytes: Buffer.from('hi') });

    // Assess
    expect(entity.filename).toBe(filename);
    expect(entity.s3ref.key.split('/')).toHaveLength(5);
    expect(entity.s3ref.key).not.toContain('..');
    expect(entity.s3ref.key).not.toContain('\u202e');
  });

  it('removes the temp object once saved, and keeps it when delete_temp_file is false', async () => {
    // Prepare
    const tickets = await Promise.all([1, 2].map(() => context.api.post<Ticket>('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain' })));
    for (const ticket of tickets) await putBytes(ticket.body.upload_url, Buffer.from('abc'), 'text/plain');

    // Act
    const tempRemoved = await context.api.post<Entity>('/v2/files', { s3ref: tickets[0]?.body.s3ref });
    const tempKept = await context.api.post<Entity>('/v2/files?delete_temp_file=false', { s3ref: tickets[1]?.body.s3ref });

    // Assess
    expect([tempRemoved.status, tempKept.status]).toEqual([201, 201]);
    expect(await context.storage.exists(tempRemoved.body.s3ref.key)).toBe(true);
    expect(await context.storage.exists(tempKept.body.s3ref.key)).toBe(true);
    expect(await context.storage.exists(tickets[0]?.body.s3ref.key ?? '')).toBe(false);
    expect(await context.storage.exists(tickets[1]?.body.s3ref.key ?? '')).toBe(true);
  });

  it('signs the declared size into the upload URL, so S3 refuses bytes of another length', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 5 });

    // Act
    const wrong = await putBytes(ticket.body.upload_url, Buffer.from('123456'), 'text/plain');
    const right = await putBytes(ticket.body.upload_url, Buffer.from('12345'), 'text/plain');

    // Assess
    expect(wrong.status).toBe(403);
    expect(right.status).toBe(200);
  });
});

describe('presigned upload URLs', () => {
  let ticket: Ticket;

  beforeAll(async () => {
    ticket = (await context.api.post<Ticket>('/v2/files/upload', { filename: 'doc.txt', mime_type: 'text/plain' })).body;
  });

  it.each([
    ['a tampered signature', (url: string) => url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`), 'text/plain'],
    ['another key', (url: string) => url.replace('/doc.txt?', '/other.txt?'), 'text/plain'],
    ['another Content-Type', (url: string) => url, 'image/png'],
    ['an extended expiry', (url: string) => url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604800'), 'text/plain'],
  ])('refuses a PUT with %s with 403 and stores nothing', async (_case, alter, contentType) => {
    // Act
    const response = await putBytes(alter(ticket.upload_url), Buffer.from('evil'), contentType);

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>');
    expect(await context.storage.keys(ticket.s3ref.key.replace(/[^/]+$/, ''))).toEqual([]);
  });
});

describe('versions', () => {
  it('adds versions with _id and downloads each by index, 0 being the latest', async () => {
    // Prepare
    const first = await uploadFile(context.api, { filename: 'v1.txt', mimeType: 'text/plain', bytes: Buffer.from('one') });

    // Act
    const second = await uploadFile(context.api, { filename: 'v2.txt', mimeType: 'text/plain', bytes: Buffer.from('second'), id: first._id });

    // Assess
    expect(second._id).toBe(first._id);
    expect(second.versions.map((version) => version.filename)).toEqual(['v2.txt', 'v1.txt']);
    expect(second).toMatchObject({ filename: 'v2.txt', size_bytes: 6, s3ref: second.versions[0]?.s3ref });
    expect((await downloadBytes(context.api, first._id, 0)).toString()).toBe('second');
    expect((await downloadBytes(context.api, first._id, 1)).toString()).toBe('one');
    expect((await context.api.get(`/v1/files/${first._id}/download?version=2`)).status).toBe(404);
  });

  it('adds a version without changing the entity metadata when version_only is true', async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'contract.pdf', mimeType: 'application/pdf', bytes: Buffer.from('%PDF-1.7 x') });
    const ticket = await context.api.post<Ticket>(`/v2/files/upload?file_entity_id=${file._id}`, { filename: 'notes.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('notes'), 'text/plain');

    // Act
    const saved = await context.api.post<Entity>('/v2/files?version_only=true', { _id: file._id, s3ref: ticket.body.s3ref, filename: 'notes.txt' });

    // Assess
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ filename: 'contract.pdf', type: 'document', mime_type: 'application/pdf' });
    expect(saved.body.s3ref).toEqual(saved.body.versions[0]?.s3ref);
    expect(saved.body.versions[0]).toMatchObject({ filename: 'notes.txt', size_bytes: 5 });
  });

  it('keeps every version when many saves to one file run at once, each with its own bytes, numbered 1 to 13', { timeout: 120_000 }, async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'base.txt', mimeType: 'text/plain', bytes: Buffer.from('base') });
    const tickets = await Promise.all(
      Array.from({ length: 12 }, (_unused, index) => stageUpload(context.api, { filename: `v${index}.txt`, mimeType: 'text/plain', bytes: `version ${index}` })),
    );

    // Act: a client sends a save again on 409 or 503, as the README tells it to.
    const saves = await Promise.all(
      tickets.map(async (ticket) => (await withRetries(() => context.api.post('/v2/files', { _id: file._id, s3ref: ticket.s3ref }))).response),
    );

    // Assess
    expect(saves.map((save) => save.status)).toEqual(tickets.map(() => 200));
    const texts = (await expectWholeFile(context.api, context.storage, 'org-a', file._id)).map(String);
    expect(texts.at(-1)).toBe('base');
    expect(texts.slice(0, -1).sort()).toEqual(Array.from({ length: 12 }, (_unused, index) => `version ${index}`).sort());
  });

  it('returns bulk download links in the order asked, with an error entry for an unknown file', async () => {
    // Prepare
    const a = await uploadFile(context.api, { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('AAA') });
    const b = await uploadFile(context.api, { filename: 'b.txt', mimeType: 'text/plain', bytes: Buffer.from('BBB') });
    const unknown = '00000000-0000-4000-8000-000000000000';

    // Act
    const links = await context.api.post<Array<{ file_entity_id: string; download_url?: string; error?: { status: number } }>>(
      '/v1/files:downloadFiles',
      [{ id: b._id }, { id: unknown, version: 0 }, { id: a._id, version: 0 }],
    );

    // Assess
    expect(links.status).toBe(200);
    expect(links.body.map((link) => link.file_entity_id)).toEqual([b._id, unknown, a._id]);
    expect(links.body[1]?.error?.status).toBe(404);
    const texts = await Promise.all([links.body[0], links.body[2]].map(async (link) => (await fetch(link?.download_url ?? '')).text()));
    expect(texts).toEqual(['BBB', 'AAA']);
  });
});

describe('delete', () => {
  it('deletes the entity and the bytes of every version', async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'x.txt', mimeType: 'text/plain', bytes: Buffer.from('x') });
    const versioned = await uploadFile(context.api, { filename: 'y.txt', mimeType: 'text/plain', bytes: Buffer.from('y'), id: file._id });
    const keys = versioned.versions.map((version) => version.s3ref.key);
    const oldLink = await context.api.get<{ download_url: string }>(`/v1/files/${file._id}/download`);

    // Act
    const deleted = await context.api.delete<Entity>(`/v2/files/${file._id}`);

    // Assess
    expect(deleted.status).toBe(200);
    expect(deleted.body._id).toBe(file._id);
    expect(await Promise.all(keys.map((key) => context.storage.exists(key)))).toEqual([false, false]);
    expect((await context.api.get(`/v2/files/${file._id}`)).status).toBe(404);
    expect((await context.api.delete(`/v2/files/${file._id}`)).status).toBe(404);
    // S3 answers a missing key with 403 to a signer without s3:ListBucket, as downloadFile is.
    expect((await fetch(oldLink.body.download_url)).status).toBe(403);
    // Only the upload claims stay, as tombstones until their TTL: re-sending an old save must not revive the file.
    const left = (await context.storage.items()).filter((item) => item.includes(file._id));
    expect(left.filter((item) => !item.includes('"sk":{"S":"UPLOAD"}'))).toEqual([]);
  });
});

describe('limits and checks on save', () => {
  it('answers 413 for a declared size above the limit', async () => {
    // Act
    const response = await context.api.post('/v2/files/upload', { filename: 'big.bin', size_bytes: maxUploadBytes + 1 });

    // Assess
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ status: 413 });
  });

  it('answers 413 when the bytes that arrived exceed the limit, and saves nothing', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'big.bin' });
    await putBytes(ticket.body.upload_url, randomBytes(maxUploadBytes + 10), 'application/octet-stream');
    const before = await context.storage.items();

    // Act
    const response = await context.api.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(response.status).toBe(413);
    expect(await context.storage.items()).toEqual(before);
  });

  it('answers 415 when the bytes are not of the declared type', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'fake.png', mime_type: 'image/png' });
    await putBytes(ticket.body.upload_url, Buffer.from('<script>alert(1)</script>'), 'image/png');

    // Act
    const response = await context.api.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ status: 415, error: expect.stringContaining('image/png') });
  });

  it('saves an empty text file, and refuses an empty file declared as PDF with 415', async () => {
    // Prepare
    const [text, pdf] = await Promise.all(
      [['empty.txt', 'text/plain'], ['empty.pdf', 'application/pdf']].map(async ([filename, mime_type]) => {
        const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename, mime_type });
        await putBytes(ticket.body.upload_url, new Uint8Array(), mime_type ?? '');
        return ticket.body;
      }),
    );

    // Act
    const savedText = await context.api.post<Entity>('/v2/files', { s3ref: text?.s3ref });
    const savedPdf = await context.api.post('/v2/files', { s3ref: pdf?.s3ref });

    // Assess
    expect(savedText.status).toBe(201);
    expect(savedText.body).toMatchObject({ size_bytes: 0, readable_size: '0 B' });
    expect(savedPdf.status).toBe(415);
  });

  it('refuses to save an upload that was never made with 404', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'never.txt', mime_type: 'text/plain' });

    // Act
    const response = await context.api.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(response.status).toBe(404);
  });
});

describe('the temp/ lifecycle', () => {
  it('sweeps an upload that was never saved once it expires, so it can no longer be saved', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'forgotten.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('bye'), 'text/plain');
    const saved = await uploadFile(context.api, { filename: 'kept.txt', mimeType: 'text/plain', bytes: Buffer.from('kept') });
    // Creation + 1 day, rounded up to midnight UTC, has passed two days on.
    const twoDaysOn = new Date(Date.now() + (tempExpirationDays + 1) * dayMs);

    // Act
    const removed = await context.stack.sweep(twoDaysOn);

    // Assess
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(await context.storage.exists(ticket.body.s3ref.key)).toBe(false);
    expect(await context.storage.exists(saved.s3ref.key)).toBe(true);
    expect((await context.api.post('/v2/files', { s3ref: ticket.body.s3ref })).status).toBe(404);
  });
});
