import { describe, expect, it } from 'vitest';
import { putBytes } from './support/api';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/** ALLOWED_MIME_TYPES is checked at upload (the declared type) and at save (the type the bytes resolve to). */
const context = useLocalStack({ allowedMimeTypes: ['image/*', 'text/plain'] });

const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(32, 1)]);

async function upload(body: Record<string, unknown>, bytes: Buffer, putType: string) {
  const ticket = await context.api.post<Ticket>('/v2/files/upload', body);
  expect(ticket.status).toBe(201);
  expect((await putBytes(ticket.body.upload_url, bytes, putType)).status).toBe(200);
  return ticket.body;
}

describe('an allow-list of types', () => {
  it('refuses at upload a declared type outside the list with 415 that names the allowed types', async () => {
    // Act
    const answer = await context.api.post('/v2/files/upload', { filename: 'report.pdf', mime_type: 'application/pdf' });

    // Assess
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({ status: 415, error: expect.stringContaining('allowed types: image/*, text/plain') });
  });

  it('saves a type the list allows by a wildcard', async () => {
    // Prepare
    const ticket = await upload({ filename: 'pixel.png', mime_type: 'image/png' }, png, 'image/png');

    // Act
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ mime_type: 'image/png', type: 'image' });
  });

  it('refuses at save the bytes of a PNG declared as text/plain with 415, and stores no file', async () => {
    // Prepare
    const ticket = await upload({ filename: 'notes.txt', mime_type: 'text/plain' }, png, 'text/plain');
    const before = await context.storage.keys('files/');

    // Act
    const saved = await context.api.post('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(saved.status).toBe(415);
    expect(saved.body).toEqual({ status: 415, error: 'The uploaded bytes are not text/plain' });
    expect(await context.storage.keys('files/')).toEqual(before);
  });

  it('refuses at save an untyped upload whose bytes are a type outside the list', async () => {
    // Prepare: untyped, so only save can tell what it is.
    const ticket = await upload({ filename: 'bundle' }, zip, 'application/octet-stream');

    // Act
    const saved = await context.api.post('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(saved.status).toBe(415);
    expect(saved.body).toEqual({ status: 415, error: expect.stringContaining('application/zip') });
  });
});
