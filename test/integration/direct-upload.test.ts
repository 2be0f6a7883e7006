import { describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

// No previews ahead of time: a saved PNG's default preview, kept in the background, would land in a later test's storage snapshot.
const context = useLocalStack({ sweepIntervalMs: 0, previewsAhead: false });
const base64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');
const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e5b1e40000000049454e44ae426082', 'hex');

describe('a direct upload (content_base64)', () => {
  it('stores a file sent inside the save in one call, checked and typed like any upload, and leaves no upload behind', async () => {
    // Prepare
    const { api, storage } = context;

    // Act
    const saved = await api.post<Entity>('/v2/files', { filename: 'pixel.png', content_base64: base64(png), _tags: ['inline'] });
    const temps = await storage.keys('temp/');

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'pixel.png', mime_type: 'image/png', size_bytes: png.length, _tags: ['inline'] });
    expect((await downloadBytes(api, saved.body._id)).equals(png)).toBe(true);
    expect(temps.filter((key) => key.includes('pixel.png'))).toEqual([]);
  });

  it('adds a version to a file, and takes the largest file it allows', async () => {
    // Prepare
    const { api } = context;
    const first = await api.post<Entity>('/v2/files', { filename: 'notes.txt', mime_type: 'text/plain', content_base64: base64('one') });
    const largest = Buffer.alloc(4 * 1024 * 1024, 'a');

    // Act
    const second = await api.post<Entity>('/v2/files', { _id: first.body._id, filename: 'notes.txt', mime_type: 'text/plain', content_base64: base64(largest) });

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.versions.map((version) => version.size_bytes)).toEqual([largest.length, 3]);
  });

  it('refuses bytes that contradict their declared type with 415, as any upload', async () => {
    // Act
    const answer = await context.api.post('/v2/files', { filename: 'pixel.pdf', mime_type: 'application/pdf', content_base64: base64(png) });

    // Assess
    expectRefusal(answer, 415);
  });

  it.each([
    ['a file one byte over 4 MiB', { filename: 'big.txt', content_base64: base64(Buffer.alloc(4 * 1024 * 1024 + 1, 'a')) }, 413],
    ['a file of 4.4 MB', { filename: 'big.txt', content_base64: base64(Buffer.alloc(4_400_000, 'a')) }, 413],
    ['a body over 6 MB', { filename: 'big.txt', content_base64: base64(Buffer.alloc(4_600_000, 'a')) }, 413],
    ['text that is not base64', { filename: 'a.txt', content_base64: 'not base64!' }, 400],
    ['base64 of a wrong length', { filename: 'a.txt', content_base64: 'abc' }, 400],
    ['no filename', { content_base64: base64('x') }, 400],
    ['both an s3ref and content', { filename: 'a.txt', content_base64: base64('x'), s3ref: { bucket: 'b', key: 'temp/x' } }, 400],
    ['content that is not text', { filename: 'a.txt', content_base64: 42 }, 400],
  ])('refuses %s with a clear 4xx, saving nothing', async (_case, body, status) => {
    // Prepare
    const { api, storage } = context;
    const before = await storage.snapshot();

    // Act
    const answer = await api.post('/v2/files', body);

    // Assess
    expectRefusal(answer, status);
    expect(await storage.snapshot()).toEqual(before);
  });
});
