import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encryptPdf, makePdf, pageColour } from '../support/pdf';
import { uploadFile, type Api } from './support/api';
import { stageUpload } from './support/requests';
import { useLocalStack } from './support/stack';

/**
 * previewFile against `npm start`: real images made here, rendered by sharp in the handler,
 * kept in the local S3 under previews/ and served from there the next time.
 */

// Without the previews rendered ahead of time (test/integration/previews-ahead.test.ts), so every render here is previewFile's.
const context = useLocalStack({ previewsAhead: false });

interface Preview {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

async function preview(api: Api, path: string, headers: Record<string, string> = {}): Promise<Preview> {
  const response = await api.raw(path, headers);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const solid = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: channels === 4 ? { r: 20, g: 120, b: 220, alpha: 0.5 } : { r: 200, g: 30, b: 30 } } });

async function saved(filename: string, mimeType: string, bytes: Uint8Array, id?: string): Promise<string> {
  return (await uploadFile(context.api, { filename, mimeType, bytes, ...(id ? { id } : {}) }))._id;
}

/** A PNG whose header declares `width` × `height` pixels, with almost no data behind it. */
function declaredPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('previewFile', () => {
  it('answers a JPEG thumbnail that keeps the aspect ratio when only the width is given, and serves the kept copy the next time', async () => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(1200, 800).jpeg().toBuffer());

    // Act
    const first = await preview(context.api, `/v1/files/${id}/preview?w=300`);
    const second = await preview(context.api, `/v1/files/${id}/preview?w=300`);

    // Assess
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('image/jpeg');
    expect(await sharp(first.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 300, height: 200 });
    expect(first.headers.get('x-preview-cache')).toBe('miss');
    expect(first.headers.get('cache-control')).toBe('private, max-age=300');
    expect(first.headers.get('etag')).toMatch(/^"[\w-]{32}"$/);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-preview-cache')).toBe('hit');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toEqual([expect.stringMatching(new RegExp(`^previews/org-a/${id}/1/300x- `))]);
  });

  it('answers 304 to a client that sends the preview\'s ETag, and 200 to one with another', async () => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(640, 480).jpeg().toBuffer());
    const first = await preview(context.api, `/v1/files/${id}/preview?h=120`);
    const etag = first.headers.get('etag') ?? '';

    // Act
    const same = await preview(context.api, `/v1/files/${id}/preview?h=120`, { 'if-none-match': etag });
    const listed = await preview(context.api, `/v1/files/${id}/preview?h=120`, { 'if-none-match': `"other", W/${etag}` });
    const other = await preview(context.api, `/v1/files/${id}/preview?h=120`, { 'if-none-match': '"other"' });
    const otherSize = await preview(context.api, `/v1/files/${id}/preview?h=121`, { 'if-none-match': etag });

    // Assess
    expect(same.status).toBe(304);
    expect(same.bytes.length).toBe(0);
    expect(same.headers.get('etag')).toBe(etag);
    expect(listed.status).toBe(304);
    expect(other.status).toBe(200);
    expect(otherSize.status).toBe(200);
    expect(await sharp(otherSize.bytes).metadata()).toMatchObject({ width: 161, height: 121 });
  });

  it('fits the image inside w × h, never enlarges it, and renders 300 × 300 without either', async () => {
    // Prepare
    const id = await saved('wide.jpg', 'image/jpeg', await solid(1000, 500).jpeg().toBuffer());
    const small = await saved('small.jpg', 'image/jpeg', await solid(100, 50).jpeg().toBuffer());

    // Act
    const boxed = await preview(context.api, `/v1/files/${id}/preview?w=200&h=200`);
    const byDefault = await preview(context.api, `/v1/files/${id}/preview`);
    const notEnlarged = await preview(context.api, `/v1/files/${small}/preview?w=400`);

    // Assess
    expect(await sharp(boxed.bytes).metadata()).toMatchObject({ width: 200, height: 100 });
    expect(await sharp(byDefault.bytes).metadata()).toMatchObject({ width: 300, height: 150 });
    expect(await sharp(notEnlarged.bytes).metadata()).toMatchObject({ width: 100, height: 50 });
  });

  it.each([
    ['PNG with transparency', 'image/png', () => solid(400, 200, 4).png().toBuffer(), 'png'],
    ['GIF (palette, so PNG)', 'image/gif', () => solid(400, 200).gif().toBuffer(), 'png'],
    ['WebP', 'image/webp', () => solid(400, 200).webp().toBuffer(), 'jpeg'],
    ['AVIF', 'image/avif', () => solid(400, 200).avif().toBuffer(), 'jpeg'],
    ['TIFF', 'image/tiff', () => solid(400, 200).tiff().toBuffer(), 'jpeg'],
  ])('previews a %s, as %s', async (_name, mimeType, make, format) => {
    // Prepare
    const id = await saved(`image.${mimeType.split('/')[1]}`, mimeType, await make());

    // Act
    const answer = await preview(context.api, `/v1/files/${id}/preview?w=100`);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe(`image/${format}`);
    expect(await sharp(answer.bytes).metadata()).toMatchObject({ format, width: 100, height: 50 });
  });

  it('previews the first page of a PDF, coloured as drawn, and refuses a damaged or protected PDF with 422', async () => {
    // Prepare: 20 pages of US Letter; the first page's rectangle fills its middle.
    const id = await saved('report.pdf', 'application/pdf', await makePdf({ pages: 20, text: 'Report' }));
    const damaged = await saved('damaged.pdf', 'application/pdf', Buffer.from('%PDF-1.7\nnot really a pdf\n'));
    const locked = await saved('locked.pdf', 'application/pdf', await encryptPdf(await makePdf({ pages: 1 }), 'secret'));

    // Act
    const page = await preview(context.api, `/v1/files/${id}/preview?w=300`);
    const again = await preview(context.api, `/v1/files/${id}/preview?w=300`);
    const unreadable = await preview(context.api, `/v1/files/${damaged}/preview`);
    const protectedPdf = await preview(context.api, `/v1/files/${locked}/preview`);

    // Assess
    expect(page.status).toBe(200);
    const { data, info } = await sharp(page.bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(300);
    expect(Math.abs(info.height - (300 * 792) / 612)).toBeLessThan(1.5);
    const centre = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
    expect([...data.subarray(centre, centre + 3)].map((value) => Math.round(value / 16))).toEqual(
      [pageColour.r, pageColour.g, pageColour.b].map((value) => Math.round(value / 16)),
    );
    expect(again.headers.get('x-preview-cache')).toBe('hit');
    expect(again.bytes.equals(page.bytes)).toBe(true);
    expect(unreadable.status).toBe(422);
    expect(protectedPdf.status).toBe(422);
    expect(JSON.parse(protectedPdf.bytes.toString())).toEqual({ status: 422, error: expect.stringContaining('password') });
  });

  it('previews the version asked for, 0 being the latest', async () => {
    // Prepare
    const id = await saved('turned.jpg', 'image/jpeg', await solid(400, 200).jpeg().toBuffer());
    await saved('turned.jpg', 'image/jpeg', await solid(200, 400).jpeg().toBuffer(), id);

    // Act
    const latest = await preview(context.api, `/v1/files/${id}/preview?w=100&version=0`);
    const previous = await preview(context.api, `/v1/files/${id}/preview?w=100&version=1`);
    const missing = await preview(context.api, `/v1/files/${id}/preview?w=100&version=2`);

    // Assess
    expect(await sharp(latest.bytes).metadata()).toMatchObject({ width: 100, height: 200 });
    expect(await sharp(previous.bytes).metadata()).toMatchObject({ width: 100, height: 50 });
    expect(latest.headers.get('etag')).not.toBe(previous.headers.get('etag'));
    expect(missing.status).toBe(404);
  });

  it('refuses an image that declares more pixels than the limit with 422, without decoding it or keeping anything', async () => {
    // Prepare: 100,000 × 100,000 pixels declared in a file of about 100 bytes.
    const id = await saved('bomb.png', 'image/png', declaredPng(100_000, 100_000));
    const before = await context.storage.keys('previews/');

    // Act
    const answer = await preview(context.api, `/v1/files/${id}/preview?w=100`);

    // Assess
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.bytes.toString())).toEqual({ status: 422, error: expect.stringContaining('100000 × 100000 pixels') });
    expect(await context.storage.keys('previews/')).toEqual(before);
  });

  it('answers 415 for a type it cannot preview, and 422 for bytes that are not the image they claim', async () => {
    // Prepare
    const text = await saved('notes.txt', 'text/plain', Buffer.from('hello'));
    const broken = await saved('broken.jpg', 'image/jpeg', Buffer.concat([(await solid(64, 64).jpeg().toBuffer()).subarray(0, 200)]));

    // Act
    const unsupported = await preview(context.api, `/v1/files/${text}/preview`);
    const unreadable = await preview(context.api, `/v1/files/${broken}/preview`);

    // Assess
    expect(unsupported.status).toBe(415);
    expect(JSON.parse(unsupported.bytes.toString())).toEqual({ status: 415, error: expect.stringContaining('text/plain') });
    expect(unreadable.status).toBe(422);
    expect(JSON.parse(unreadable.bytes.toString())).toEqual({ status: 422, error: expect.stringContaining('image/jpeg') });
  });

  it.each([['w=0'], ['w=2049'], ['h=-1'], ['w=1.5'], ['w=abc'], ['w=0300'], ['version=x']])('answers 400 for %s', async (query) => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(64, 64).jpeg().toBuffer());

    // Act
    const answer = await preview(context.api, `/v1/files/${id}/preview?${query}`);

    // Assess
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.bytes.toString())).toEqual({ status: 400, error: expect.stringContaining('Invalid query') });
  });

  it('lets the lifecycle rule expire a kept preview after 30 days, and renders it again when asked', async () => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(120, 60).jpeg().toBuffer());
    const first = await preview(context.api, `/v1/files/${id}/preview?w=12`);
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toHaveLength(1);

    // Act
    await context.stack.sweep(new Date(Date.now() + 29 * 24 * 3600_000));
    const kept = await context.storage.keys(`previews/org-a/${id}/`);
    await context.stack.sweep(new Date(Date.now() + 32 * 24 * 3600_000));
    const expired = await context.storage.keys(`previews/org-a/${id}/`);
    const again = await preview(context.api, `/v1/files/${id}/preview?w=12`);

    // Assess
    expect(kept).toHaveLength(1);
    expect(expired).toEqual([]);
    expect(again.headers.get('x-preview-cache')).toBe('miss');
    expect(again.bytes.equals(first.bytes)).toBe(true);
  });

  it('answers 404 to another org, and deletes the kept previews with their file', async () => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(320, 240).jpeg().toBuffer());
    await preview(context.api, `/v1/files/${id}/preview?w=32`);
    await preview(context.api, `/v1/files/${id}/preview?w=64`);
    const other = context.api.withToken(await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toHaveLength(2);

    // Act
    const foreign = await preview(other, `/v1/files/${id}/preview?w=32`);
    const deleted = await context.api.delete(`/v1/files/${id}`);

    // Assess
    expect(foreign.status).toBe(404);
    expect(deleted.status).toBe(200);
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toEqual([]);
  });
});

describe('previewPublicFile', () => {
  it('answers a public-read file\'s thumbnail without a token, kept for shared caches too, and 403 for a private file', async () => {
    // Prepare
    const bytes = await solid(600, 300).jpeg().toBuffer();
    const open = (await uploadFile(context.api, { filename: 'open.jpg', mimeType: 'image/jpeg', bytes, extra: { access_control: 'public-read' } }))._id;
    const closed = await saved('closed.jpg', 'image/jpeg', bytes);
    const anonymous = context.api.withToken(undefined);

    // Act
    const answer = await preview(anonymous, `/v1/files/public/${open}/preview?org_id=org-a&w=60`);
    const again = await preview(anonymous, `/v1/files/public/${open}/preview?org_id=org-a&w=60`, { 'if-none-match': answer.headers.get('etag') ?? '' });
    const privateFile = await preview(anonymous, `/v1/files/public/${closed}/preview?org_id=org-a&w=60`);
    const otherOrg = await preview(anonymous, `/v1/files/public/${open}/preview?org_id=org-b&w=60`);
    const noOrg = await preview(anonymous, `/v1/files/public/${open}/preview?w=60`);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await sharp(answer.bytes).metadata()).toMatchObject({ width: 60, height: 30 });
    expect(again.status).toBe(304);
    expect(privateFile.status).toBe(403);
    expect(JSON.parse(privateFile.bytes.toString())).toEqual({ status: 403, error: 'File is not publicly accessible' });
    expect(otherOrg.status).toBe(404);
    expect(noOrg.status).toBe(404);
  });
});

describe('previewS3File', () => {
  it('previews an upload not saved yet, by POST body and by GET query, from what its bytes are', async () => {
    // Prepare: declared as a PNG, the bytes are a JPEG: the bytes decide.
    const ticket = await stageUpload(context.api, { filename: 'draft.png', mimeType: 'image/png', bytes: await solid(500, 250).jpeg().toBuffer() });
    const { bucket, key } = ticket.s3ref;

    // Act
    const posted = await fetch(`${context.api.baseUrl}/v1/files:previewS3?w=50`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await context.stack.auth.sign({ org: 'org-a', user: 'alice' })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ bucket, key }),
    });
    const got = await preview(context.api, `/v1/files:previewS3?bucket=${bucket}&key=${encodeURIComponent(key)}&h=25`);

    // Assess
    expect(posted.status).toBe(200);
    expect(await sharp(Buffer.from(await posted.arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 50, height: 25 });
    expect(got.status).toBe(200);
    expect(got.headers.get('x-preview-cache')).toBe('miss');
    expect(await context.storage.keys('previews/org-a/')).not.toContainEqual(expect.stringContaining(key));
  });

  it('previews a saved version by its key and keeps it like previewFile, and answers 404 for another org\'s object', async () => {
    // Prepare
    const entity = await uploadFile(context.api, { filename: 'kept.jpg', mimeType: 'image/jpeg', bytes: await solid(300, 300).jpeg().toBuffer() });
    const { bucket, key } = entity.s3ref;
    const other = context.api.withToken(await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));
    const theirs = await stageUpload(other, { filename: 'theirs.jpg', mimeType: 'image/jpeg', bytes: await solid(10, 10).jpeg().toBuffer() });

    // Act
    const byKey = await preview(context.api, `/v1/files:previewS3?bucket=${bucket}&key=${encodeURIComponent(key)}&w=30`);
    const byFile = await preview(context.api, `/v1/files/${entity._id}/preview?w=30`);
    const foreignSaved = await preview(other, `/v1/files:previewS3?bucket=${bucket}&key=${encodeURIComponent(key)}&w=30`);
    const foreignUpload = await preview(context.api, `/v1/files:previewS3?bucket=${bucket}&key=${encodeURIComponent(theirs.s3ref.key)}&w=30`);
    const otherBucket = await preview(context.api, `/v1/files:previewS3?bucket=elsewhere&key=${encodeURIComponent(key)}&w=30`);

    // Assess
    expect(byKey.status).toBe(200);
    expect(byFile.headers.get('x-preview-cache')).toBe('hit');
    expect(byFile.headers.get('etag')).toBe(byKey.headers.get('etag'));
    expect(foreignSaved.status).toBe(404);
    expect(foreignUpload.status).toBe(404);
    expect(otherBucket.status).toBe(400);
  });
});

describe('downloadS3File', () => {
  it('signs a download of an upload not saved yet and of a saved version, and refuses other objects with 404', async () => {
    // Prepare
    const ticket = await stageUpload(context.api, { filename: 'draft.txt', mimeType: 'text/plain', bytes: 'not saved yet' });
    const entity = await uploadFile(context.api, { filename: 'saved.txt', mimeType: 'text/plain', bytes: Buffer.from('saved bytes') });
    const never = await context.api.post<{ s3ref: { bucket: string; key: string } }>('/v2/files/upload', { filename: 'never.txt' });
    const other = context.api.withToken(await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));
    const ask = (api: Api, ref: { bucket: string; key: string }) =>
      api.post<{ download_url: string }>(`/v1/files:downloadS3?s3_bucket=${ref.bucket}&s3_key=${encodeURIComponent(ref.key)}`);

    // Act
    const draft = await ask(context.api, ticket.s3ref);
    const version = await ask(context.api, entity.s3ref);
    const missing = await ask(context.api, never.body.s3ref);
    const foreign = await ask(other, entity.s3ref);
    const foreignUpload = await ask(other, ticket.s3ref);

    // Assess
    expect(draft.status).toBe(200);
    expect(await (await fetch(draft.body.download_url)).text()).toBe('not saved yet');
    expect(version.status).toBe(200);
    expect(await (await fetch(version.body.download_url)).text()).toBe('saved bytes');
    expect(missing.status).toBe(404);
    expect(foreign.status).toBe(404);
    expect(foreignUpload.status).toBe(404);
  });
});
