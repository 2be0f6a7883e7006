import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * End-to-end checksums: uploadFile signs `x-amz-checksum-sha256` into the PUT, the local S3
 * refuses other bytes like S3 (400 BadDigest, nothing stored), and the saved version shows it.
 */

const context = useLocalStack();

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

/** A PUT with exactly the headers given. */
function put(url: string, bytes: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: 'PUT', headers: { 'content-length': String(bytes.length), ...headers }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: response.headers }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(bytes);
  });
}

async function checksumUpload(bytes: Buffer, checksum = sha256(bytes)) {
  const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'notes.txt', mime_type: 'text/plain', checksum_sha256: checksum });
  expect(ticket.status).toBe(201);
  return { ticket: ticket.body, checksum };
}

describe('uploads with a SHA-256 checksum', () => {
  it('stores bytes whose SHA-256 is the one signed, and the saved version and the entity show it', async () => {
    // Prepare
    const bytes = Buffer.from('bytes that travel with their checksum\n');
    const { ticket, checksum } = await checksumUpload(bytes);

    // Act
    const stored = await put(ticket.upload_url, bytes, { 'content-type': 'text/plain', 'x-amz-checksum-sha256': checksum });
    const saved = await context.api.post<Entity & { checksum_sha256?: string }>('/v2/files', { s3ref: ticket.s3ref });
    const read = await context.api.get<Entity & { checksum_sha256?: string }>(`/v2/files/${saved.body._id}`);

    // Assess
    expect(stored.status).toBe(200);
    expect(stored.headers['x-amz-checksum-sha256']).toBe(checksum);
    expect(saved.status).toBe(201);
    expect(saved.body.checksum_sha256).toBe(checksum);
    expect(read.body.checksum_sha256).toBe(checksum);
    expect(read.body.versions[0]).toMatchObject({ checksum_sha256: checksum });
  });

  it('refuses bytes with another SHA-256 with 400 BadDigest and stores nothing', async () => {
    // Prepare
    const bytes = Buffer.from('the bytes the client meant to send');
    const { ticket, checksum } = await checksumUpload(bytes);
    const before = await context.storage.keys();

    // Act
    const stored = await put(ticket.upload_url, Buffer.from('other bytes, same length, not same!'), {
      'content-type': 'text/plain',
      'x-amz-checksum-sha256': checksum,
    });
    const saved = await context.api.post('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(stored.status).toBe(400);
    expect(stored.body).toContain('<Code>BadDigest</Code>');
    expect(await context.storage.keys()).toEqual(before);
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
    expect(saved.status).toBe(404);
  });

  it('refuses a PUT to a checksum URL that leaves the checksum header out (403)', async () => {
    // Prepare
    const bytes = Buffer.from('sent without the header the URL signed');
    const { ticket } = await checksumUpload(bytes);

    // Act
    const stored = await put(ticket.upload_url, bytes, { 'content-type': 'text/plain' });

    // Assess
    expect(stored.status).toBe(403);
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
  });

  it('refuses a PUT that sends another checksum than the URL signed (403), even one that matches its bytes', async () => {
    // Prepare
    const meant = Buffer.from('the bytes uploadFile was told about');
    const other = Buffer.from('other bytes with their own checksum');
    const { ticket } = await checksumUpload(meant);

    // Act
    const stored = await put(ticket.upload_url, other, { 'content-type': 'text/plain', 'x-amz-checksum-sha256': sha256(other) });

    // Assess
    expect(stored.status).toBe(403);
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
  });

  it('saves an upload made without a checksum with none shown', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'plain.txt', mime_type: 'text/plain' });
    await put(ticket.body.upload_url, Buffer.from('no checksum'), { 'content-type': 'text/plain' });

    // Act
    const saved = await context.api.post<Entity & { checksum_sha256?: string }>('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).not.toHaveProperty('checksum_sha256');
    expect(saved.body.versions[0]).not.toHaveProperty('checksum_sha256');
  });

  it.each([
    ['not base64', '!!!!not base64 at all, not even close!!!!!!'],
    ['the base64 of 16 bytes', Buffer.alloc(16, 1).toString('base64')],
    ['the base64 of 33 bytes', Buffer.alloc(33, 1).toString('base64')],
    ['a hex digest', createHash('sha256').update('x').digest('hex')],
    ['unpadded base64', sha256(Buffer.from('x')).replace(/=+$/, '')],
    ['a number', 42],
  ])('answers 400 for a checksum_sha256 that is %s, and signs nothing', async (_case, checksum) => {
    // Act
    const answer = await context.api.post('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain', checksum_sha256: checksum });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ status: 400, error: expect.stringContaining('checksum_sha256') });
  });
});
