import { describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity, Ticket } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });

describe('refreshing an upload', () => {
  it('answers a new URL for the same upload, signed for the same type and size, which saves as the first would', async () => {
    // Prepare
    const { api } = context;
    const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'note.txt', mime_type: 'text/plain', size_bytes: 5 });

    // Act
    const refreshed = await api.post<Ticket>('/v2/files/upload/refresh', { s3ref: ticket.body.s3ref });
    const wrongType = await fetch(refreshed.body.upload_url, { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/html' } });
    const wrongSize = await fetch(refreshed.body.upload_url, { method: 'PUT', body: 'hello!', headers: { 'content-type': 'text/plain' } });
    const put = await fetch(refreshed.body.upload_url, { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain' } });
    const saved = await api.post<Entity>('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.s3ref).toEqual(ticket.body.s3ref);
    expect(refreshed.body.upload_url).not.toBe(ticket.body.upload_url);
    expect([wrongType.status, wrongSize.status, put.status]).toEqual([403, 403, 200]);
    expect(saved.status).toBe(201);
    expect((await downloadBytes(api, saved.body._id)).toString()).toBe('hello');
  });

  it('answers a new form for a form upload, with the same size limit', async () => {
    // Prepare
    const { api } = context;
    const ticket = await api.post<Ticket & { upload_fields: Record<string, string> }>('/v2/files/upload', {
      filename: 'form.txt',
      mime_type: 'text/plain',
      size_bytes: 100,
      upload_method: 'post',
    });

    // Act
    const refreshed = await api.post<{ upload_fields: Record<string, string>; max_size_bytes: number }>('/v2/files/upload/refresh', { s3ref: ticket.body.s3ref });

    // Assess
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.max_size_bytes).toBe(100);
    expect(refreshed.body.upload_fields).toMatchObject({ key: ticket.body.s3ref.key, 'Content-Type': 'text/plain' });
  });

  it('answers 404 once the upload was saved', async () => {
    // Prepare
    const { api } = context;
    const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'done.txt', mime_type: 'text/plain' });
    await fetch(ticket.body.upload_url, { method: 'PUT', body: 'done', headers: { 'content-type': 'text/plain' } });
    expect((await api.post('/v2/files', { s3ref: ticket.body.s3ref })).status).toBe(201);

    // Act / Assess
    expectRefusal(await api.post('/v2/files/upload/refresh', { s3ref: ticket.body.s3ref }), 404);
  });

  it.each([
    ['an unknown upload', () => ({ s3ref: { bucket: context.stack.bucket, key: 'temp/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt' } }), 404],
    ['another bucket', () => ({ s3ref: { bucket: 'other-bucket', key: 'temp/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt' } }), 404],
    ['a saved file’s key', () => ({ s3ref: { bucket: context.stack.bucket, key: 'files/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt' } }), 404],
    ['no s3ref', () => ({}), 400],
    ['an s3ref without a key', () => ({ s3ref: { bucket: context.stack.bucket } }), 400],
  ])('refuses %s', async (_case, body, status) => {
    expectRefusal(await context.api.post('/v2/files/upload/refresh', body()), status);
  });

  it('answers 404 for another org’s upload', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'mine.txt', mime_type: 'text/plain' });
    const other = context.api.withToken(await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));

    // Act / Assess
    expectRefusal(await other.post('/v2/files/upload/refresh', { s3ref: ticket.body.s3ref }), 404);
  });
});
