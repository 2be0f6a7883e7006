import { describe, expect, it } from 'vitest';
import { downloadBytes, putBytes, tokensFor, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * The s3ref is a save's idempotency key: saving the same upload again, after a lost
 * response or concurrently, answers with the file and version it became.
 */

const context = useLocalStack();

async function upload(text: string): Promise<Ticket['s3ref']> {
  const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'doc.txt', mime_type: 'text/plain' });
  await putBytes(ticket.body.upload_url, Buffer.from(text), 'text/plain');
  return ticket.body.s3ref;
}

describe('repeating a save', () => {
  it('answers a repeated save of a new file with the same file, status and single version', async () => {
    // Prepare
    const s3ref = await upload('once');
    const first = await context.api.post<Entity>('/v2/files', { s3ref, filename: 'doc.txt' });

    // Act
    const again = await context.api.post<Entity>('/v2/files', { s3ref, filename: 'doc.txt' });

    // Assess
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body._id).toBe(first.body._id);
    expect(again.body.versions).toEqual(first.body.versions);
  });

  it('answers the same while the temp object is still there (delete_temp_file=false)', async () => {
    // Prepare
    const s3ref = await upload('kept');
    const first = await context.api.post<Entity>('/v2/files?delete_temp_file=false', { s3ref });

    // Act
    const again = await context.api.post<Entity>('/v2/files?delete_temp_file=false', { s3ref });

    // Assess
    expect(again.body._id).toBe(first.body._id);
    expect(again.body.versions).toHaveLength(1);
    expect(await context.storage.exists(s3ref.key)).toBe(true);
  });

  it('adds a version once however often its save is repeated', async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });
    const s3ref = await upload('b');

    // Act
    const answers = [];
    for (let round = 0; round < 3; round += 1) answers.push(await context.api.post<Entity>('/v2/files', { _id: file._id, s3ref }));

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.map((answer) => answer.body.versions.length)).toEqual([2, 2, 2]);
    expect((await context.api.get<Entity>(`/v2/files/${file._id}`)).body.versions).toHaveLength(2);
  });

  it('makes exactly one file of one upload saved ten times at once', async () => {
    // Prepare
    const s3ref = await upload('race');

    // Act
    const answers = await Promise.all(Array.from({ length: 10 }, () => context.api.post<Entity>('/v2/files', { s3ref })));

    // Assess
    expect(new Set(answers.map((answer) => answer.status))).toEqual(new Set([201]));
    expect(new Set(answers.map((answer) => answer.body._id)).size).toBe(1);
    const id = answers[0]?.body._id ?? '';
    expect((await context.api.get<Entity>(`/v2/files/${id}`)).body.versions).toHaveLength(1);
    expect(await context.storage.keys(`files/org-a/${id}/`)).toHaveLength(1);
  });

  it('keeps the bytes of a saved version when other bytes are PUT to its upload URL and the save is repeated', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'doc.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('original bytes'), 'text/plain');
    const first = await context.api.post<Entity>('/v2/files', { s3ref: ticket.body.s3ref });
    const replaced = await putBytes(ticket.body.upload_url, Buffer.from('replacement bytes, longer'), 'text/plain');

    // Act
    const again = await context.api.post<Entity>('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(replaced.status).toBe(200);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await downloadBytes(context.api, first.body._id)).toString()).toBe('original bytes');
    expect((await context.api.get<Entity>(`/v2/files/${first.body._id}`)).body.size_bytes).toBe('original bytes'.length);
  });

  it('answers a save before the bytes were uploaded with 404 that says to upload them first', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'doc.txt', mime_type: 'text/plain' });

    // Act
    const early = await context.api.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ error: expect.stringContaining('upload the bytes to upload_url first') });
  });

  it('does not bring a deleted file back when its save is repeated', async () => {
    // Prepare
    const s3ref = await upload('gone');
    const saved = await context.api.post<Entity>('/v2/files?delete_temp_file=false', { s3ref });
    await context.api.delete(`/v2/files/${saved.body._id}`);

    // Act
    const again = await context.api.post('/v2/files', { s3ref });

    // Assess
    expect(again.status).toBe(404);
    expect(again.body).toMatchObject({ error: expect.stringContaining('deleted') });
    expect((await context.api.get(`/v2/files/${saved.body._id}`)).status).toBe(404);
  });

  it("refuses another org's replay of an org's completed save with 403 and changes nothing", async () => {
    // Prepare: a completed save whose temp object is kept, so the replay has bytes to take.
    const s3ref = await upload('mine');
    const request = { s3ref, filename: 'doc.txt' };
    const saved = await context.api.post<Entity>('/v2/files?delete_temp_file=false', request);
    const other = context.api.withToken((await tokensFor(context.stack)).other);
    const before = await context.storage.snapshot();

    // Act: the very same request, with another org's token.
    const replay = await other.post('/v2/files?delete_temp_file=false', request);

    // Assess
    expect(saved.status).toBe(201);
    expect(replay.status).toBe(403);
    expect(replay.body).toEqual({ status: 403, error: expect.stringMatching(/\S/) });
    expect(JSON.stringify(replay.body)).not.toContain(saved.body._id);
    expect(await context.storage.snapshot()).toEqual(before);
    expect(await context.storage.keys('files/org-b/')).toEqual([]);
    const owned = await context.api.get<Entity>(`/v2/files/${saved.body._id}`);
    expect(owned.status).toBe(200);
    expect(owned.body.versions).toEqual(saved.body.versions);
    expect((await downloadBytes(context.api, saved.body._id)).toString()).toBe('mine');
  });
});
