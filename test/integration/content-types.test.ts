import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

const context = useLocalStack();

// The signature and the IHDR chunk that always follows it: what the sniffer looks for.
const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(32, 7)]);
const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(32, 1)]);

/** A PUT with exactly the headers given: fetch would add none for a Buffer, this makes sure. */
function put(url: string, bytes: Buffer, contentType?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-length': String(bytes.length) };
  if (contentType !== undefined) headers['content-type'] = contentType;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'PUT', headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(bytes);
  });
}

/** uploadFile with the body given, the PUT with the Content-Type given (or none), then save. */
async function untypedUpload(upload: { filename: string; mime_type?: string }, bytes: Buffer, putType?: string) {
  const ticket = await context.api.post<Ticket>('/v2/files/upload', upload);
  expect(ticket.status).toBe(201);
  const stored = await put(ticket.body.upload_url, bytes, putType);
  expect(stored).toMatchObject({ status: 200 });
  return context.api.post<Entity>('/v2/files', { s3ref: ticket.body.s3ref, filename: upload.filename });
}

describe('untyped uploads, as a browser makes them for files it cannot type', () => {
  it.each([
    ['mime_type ""', { filename: 'photo', mime_type: '' }, png, undefined, 'image/png', 'image'],
    ['no mime_type', { filename: 'notes.md' }, Buffer.from('# Notes\n'), undefined, 'text/markdown', 'text'],
    ['mime_type "" and a generic PUT type', { filename: 'letter.docx', mime_type: '' }, zip, 'application/octet-stream',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'document'],
    ['no mime_type and the PUT typing the bytes', { filename: 'table' }, Buffer.from('a,b\n1,2\n'), 'text/csv', 'text/csv', 'spreadsheet'],
    ['no mime_type and a name that says nothing', { filename: 'blob.qqq' }, Buffer.from('????'), undefined, 'application/octet-stream', 'unknown'],
  ])('saves an upload with %s and types it from its bytes, the PUT or its name', async (_case, upload, bytes, putType, mimeType, type) => {
    // Act
    const saved = await untypedUpload(upload, bytes, putType);

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ mime_type: mimeType, type, size_bytes: bytes.length });
    expect(saved.body.versions[0]).toMatchObject({ mime_type: mimeType });
  });

  it('still makes a typed upload send exactly its signed type', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain' });

    // Act
    const [none, other] = [await put(ticket.body.upload_url, Buffer.from('hi')), await put(ticket.body.upload_url, Buffer.from('hi'), 'text/html')];

    // Assess
    expect(none.status).toBe(403);
    expect(other.status).toBe(403);
    expect(other.body).toContain('SignatureDoesNotMatch');
  });

  it('refuses an untyped upload whose PUT type its bytes refute, with 415', async () => {
    // Act
    const saved = await untypedUpload({ filename: 'fake.png' }, Buffer.from('<svg onload="alert(1)"/>'), 'image/png');

    // Assess
    expect(saved.status).toBe(415);
  });

  it.each(['.. report.pdf.txt', '. .txt'])('saves a file named %j', async (filename) => {
    // Act
    const saved = await untypedUpload({ filename, mime_type: 'text/plain' }, Buffer.from('x'), 'text/plain');

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body.filename).toBe(filename);
  });
});

describe('inline downloads', () => {
  async function linkFor(file: { filename: string; mimeType: string; bytes: Buffer }, query: string) {
    const entity = await uploadFile(context.api, file);
    const link = await context.api.get<{ download_url: string }>(`/v1/files/${entity._id}/download?${query}`);
    expect(link.status).toBe(200);
    return fetch(link.body.download_url);
  }

  it.each([
    ['page.html', 'text/html'],
    ['logo.svg', 'image/svg+xml'],
  ])('serves %s as an attachment with its type pinned even for attachment=false', async (filename, mimeType) => {
    // Act
    const response = await linkFor({ filename, mimeType, bytes: Buffer.from('<svg onload="alert(document.domain)"/>') }, 'attachment=false');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="${filename}"`));
    expect(response.headers.get('content-type')).toBe(mimeType);
    await response.arrayBuffer();
  });

  it('serves a PNG inline for attachment=false', async () => {
    // Act
    const response = await linkFor({ filename: 'photo.png', mimeType: 'image/png', bytes: png }, 'attachment=false');

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="photo\.png"/);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer()).equals(png)).toBe(true);
  });
});
