import http from 'node:http';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { downloadBytes, uploadFile } from './support/api';
import type { Api, Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });
const MiB = 1024 * 1024;

interface MultipartTicket {
  s3ref: { bucket: string; key: string };
  upload_method: 'multipart';
  upload_id: string;
  part_size: number;
  max_size_bytes: number;
  checksum_algorithm?: 'SHA256';
}

interface Parts {
  upload_id: string;
  s3ref: { bucket: string; key: string };
  part_size: number;
  parts: Array<{ part_number: number; size_bytes: number; etag: string }>;
}

/** Bytes that differ from part to part, so a part in the wrong place shows. */
function filled(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size, seed);
  for (let i = 0; i + 4 <= size; i += 4096) bytes.writeUInt32BE((seed * 7919 + i) >>> 0, i);
  return bytes;
}

async function startUpload(api: Api, body: Record<string, unknown>, query = ''): Promise<MultipartTicket> {
  const ticket = await api.post<MultipartTicket>(`/v2/files/upload${query}`, { upload_method: 'multipart', ...body });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
  return ticket.body;
}

async function partUrls(api: Api, uploadId: string, numbers: number[]): Promise<Map<number, string>> {
  const answer = await api.post<{ parts: Array<{ part_number: number; url: string }> }>(`/v1/files/upload/${uploadId}/parts`, { part_numbers: numbers });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return new Map(answer.body.parts.map((part) => [part.part_number, part.url]));
}

async function putPart(url: string, bytes: Buffer): Promise<string> {
  const response = await fetch(url, { method: 'PUT', body: bytes });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.headers.get('etag') ?? '';
}

/** Sends the first `sent` bytes of a part and then drops the connection, as a crashed client does. */
function putPartCutShort(url: string, bytes: Buffer, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const request = http.request(url, { method: 'PUT', headers: { 'content-length': bytes.length } });
    request.on('error', () => resolve());
    request.write(bytes.subarray(0, sent), () => setTimeout(() => {
      request.destroy();
      resolve();
    }, 100));
  });
}

describe('a multipart upload', () => {
  it('survives an interruption: its parts are listed, the rest resumed, and the save completes it where it is', async () => {
    // Prepare
    const { api, storage } = context;
    const parts = [filled(8 * MiB, 1), filled(8 * MiB, 2), filled(3 * MiB + 17, 3)];
    const whole = Buffer.concat(parts);
    const ticket = await startUpload(api, { filename: 'video.bin', mime_type: 'application/octet-stream', size_bytes: whole.length });
    const urls = await partUrls(api, ticket.upload_id, [1, 2, 3]);
    await putPart(urls.get(1) ?? '', parts[0] as Buffer);
    await putPartCutShort(urls.get(2) ?? '', parts[1] as Buffer, 2 * MiB);

    // Act: the client comes back, asks what S3 holds, and uploads the rest.
    const held = await api.get<Parts>(`/v1/files/upload/${ticket.upload_id}/parts`);
    const missing = [1, 2, 3].filter((number) => !held.body.parts.some((part) => part.part_number === number));
    const again = await partUrls(api, ticket.upload_id, missing);
    for (const number of missing) await putPart(again.get(number) ?? '', parts[number - 1] as Buffer);
    const saved = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref, _tags: ['resumed'] });

    // Assess
    expect(ticket).toMatchObject({ part_size: 8 * MiB, max_size_bytes: whole.length });
    expect(ticket.s3ref.key).toBe(`files/org-a/${ticket.upload_id}/${ticket.upload_id}/video.bin`);
    expect(held.status).toBe(200);
    expect(held.body.parts.map((part) => [part.part_number, part.size_bytes])).toEqual([[1, 8 * MiB]]);
    expect(missing).toEqual([2, 3]);
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect(saved.body).toMatchObject({ _id: ticket.upload_id, size_bytes: whole.length, _tags: ['resumed'] });
    // No byte moved: the version is the object the upload completed, named by its parts.
    expect(saved.body.s3ref).toEqual(ticket.s3ref);
    const objects = await storage.keys(`files/org-a/${ticket.upload_id}/`);
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatch(/"[0-9a-f]{32}-3"/);
    expect(await storage.keys('temp/org-a/')).toEqual([]);
    const downloaded = await downloadBytes(api, ticket.upload_id);
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(whole).digest('hex'));
    // Saved once: the upload is gone, and saving it again answers the same file.
    expectRefusal(await api.get(`/v1/files/upload/${ticket.upload_id}/parts`), 404);
    const repeated = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });
    expect([repeated.status, repeated.body._id]).toEqual([201, ticket.upload_id]);
  });

  it('checks every part’s SHA-256 when made with checksum_algorithm SHA256: other bytes are refused, and it saves', async () => {
    // Prepare
    const { api } = context;
    const parts = [filled(5 * MiB, 4), filled(1000, 5)];
    const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');
    const ticket = await startUpload(api, { filename: 'checked.bin', checksum_algorithm: 'SHA256' });

    // Act
    const unchecked = await api.post(`/v1/files/upload/${ticket.upload_id}/parts`, { part_numbers: [1, 2] });
    const signed = await api.post<{ parts: Array<{ part_number: number; url: string }> }>(`/v1/files/upload/${ticket.upload_id}/parts`, {
      part_numbers: [1, 2],
      checksums_sha256: { 1: digest(parts[0] as Buffer), 2: digest(parts[1] as Buffer) },
    });
    const urls = new Map(signed.body.parts.map((part) => [part.part_number, part.url]));
    const put = (number: number, body: Buffer, checksum?: string) =>
      fetch(urls.get(number) ?? '', { method: 'PUT', body, headers: checksum ? { 'x-amz-checksum-sha256': checksum } : {} });
    const otherBytes = await put(1, filled(5 * MiB, 9), digest(parts[0] as Buffer));
    const noHeader = await put(1, parts[0] as Buffer);
    const statuses = [(await put(1, parts[0] as Buffer, digest(parts[0] as Buffer))).status, (await put(2, parts[1] as Buffer, digest(parts[1] as Buffer))).status];
    const saved = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(ticket.checksum_algorithm).toBe('SHA256');
    expectRefusal(unchecked, 400);
    expect(otherBytes.status).toBe(400);
    expect(await otherBytes.text()).toContain('BadDigest');
    expect(noHeader.status).toBe(403);
    expect(statuses).toEqual([200, 200]);
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    expect((await downloadBytes(api, saved.body._id)).equals(Buffer.concat(parts))).toBe(true);
  });

  it('refuses part checksums for an upload made without them, and checksum_algorithm for a single PUT', async () => {
    // Prepare
    const { api } = context;
    const ticket = await startUpload(api, { filename: 'plain.bin' });

    // Act
    const withChecksums = await api.post(`/v1/files/upload/${ticket.upload_id}/parts`, {
      part_numbers: [1],
      checksums_sha256: { 1: createHash('sha256').update('x').digest('base64') },
    });
    const singlePut = await api.post('/v2/files/upload', { filename: 'a.bin', checksum_algorithm: 'SHA256' });

    // Assess
    expectRefusal(withChecksums, 400);
    expectRefusal(singlePut, 400);
  });

  it('adds a version to the file it was made for', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, { filename: 'log.txt', mimeType: 'text/plain', bytes: Buffer.from('first') });
    const ticket = await startUpload(api, { filename: 'log.txt', mime_type: 'text/plain' }, `?file_entity_id=${file._id}`);
    const urls = await partUrls(api, ticket.upload_id, [1]);
    await putPart(urls.get(1) ?? '', Buffer.from('second, in one part'));

    // Act
    const saved = await api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(ticket.s3ref.key.startsWith(`files/org-a/${file._id}/${ticket.upload_id}/`)).toBe(true);
    expect(saved.status).toBe(200);
    expect(saved.body.versions.map((version) => version.size_bytes)).toEqual([19, 5]);
    expect((await downloadBytes(api, file._id)).toString()).toBe('second, in one part');
  });

  it('is given up with DELETE: its parts are freed and it can no longer be saved', async () => {
    // Prepare
    const { api, storage } = context;
    const ticket = await startUpload(api, { filename: 'gone.bin' });
    const urls = await partUrls(api, ticket.upload_id, [1]);
    await putPart(urls.get(1) ?? '', filled(100, 1));

    // Act
    const aborted = await api.delete(`/v1/files/upload/${ticket.upload_id}`);

    // Assess
    expect(aborted.status).toBe(204);
    expectRefusal(await api.get(`/v1/files/upload/${ticket.upload_id}/parts`), 404);
    expectRefusal(await api.post('/v2/files', { s3ref: ticket.s3ref }), 404);
    expectRefusal(await api.delete(`/v1/files/upload/${ticket.upload_id}`), 404);
    expect(await storage.keys(`files/org-a/${ticket.upload_id}/`)).toEqual([]);
  });

  it('is refused at save when its bytes contradict the declared type, and leaves nothing behind', async () => {
    // Prepare
    const { api, storage } = context;
    const ticket = await startUpload(api, { filename: 'photo.png', mime_type: 'image/png' });
    const urls = await partUrls(api, ticket.upload_id, [1]);
    await putPart(urls.get(1) ?? '', Buffer.from('%PDF-1.7 not a picture at all'));

    // Act
    const saved = await api.post('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expectRefusal(saved, 415);
    expect(await storage.keys(`files/org-a/${ticket.upload_id}/`)).toEqual([]);
    expectRefusal(await api.get(`/v1/files/upload/${ticket.upload_id}/parts`), 404);
    expectRefusal(await api.get(`/v2/files/${ticket.upload_id}`), 404);
  });

  it('is not completed while a part is missing, too small or the parts hold other than the declared size, and stays resumable', async () => {
    // Prepare
    const { api, storage } = context;
    const declared = 5 * MiB + 10;
    const ticket = await startUpload(api, { filename: 'holes.bin', size_bytes: declared });
    const urls = await partUrls(api, ticket.upload_id, [1, 2, 3]);

    // Act / Assess
    await putPart(urls.get(2) ?? '', filled(10, 2));
    const missingFirst = await api.post('/v2/files', { s3ref: ticket.s3ref });
    await putPart(urls.get(1) ?? '', filled(MiB, 1));
    const tooSmall = await api.post('/v2/files', { s3ref: ticket.s3ref });
    await putPart(urls.get(1) ?? '', filled(5 * MiB, 1));
    await putPart(urls.get(2) ?? '', filled(20, 3));
    const tooLarge = await api.post('/v2/files', { s3ref: ticket.s3ref });

    expect((missingFirst.body as { error: string }).error).toMatch(/Part 1 is missing/);
    expect((tooSmall.body as { error: string }).error).toMatch(/Part 1 has 1048576 bytes/);
    expect((tooLarge.body as { error: string }).error).toMatch(/hold 5242900 bytes but the upload declared 5242890/);
    for (const answer of [missingFirst, tooSmall, tooLarge]) expectRefusal(answer, 400);
    expect(await storage.keys(`files/org-a/${ticket.upload_id}/`)).toEqual([]);
    const held = await api.get<Parts>(`/v1/files/upload/${ticket.upload_id}/parts`);
    expect(held.body.parts.map((part) => [part.part_number, part.size_bytes])).toEqual([[1, 5 * MiB], [2, 20]]);
  });

  it('is what uploadFile answers for a declared size above the multipart threshold, and a single PUT above 5 GiB is refused', async () => {
    // Prepare
    const { api } = context;

    // Act
    const chosen = await api.post<MultipartTicket>('/v2/files/upload', { filename: 'huge.iso', size_bytes: 5 * 1024 ** 3 + 1 });
    const put = await api.post('/v2/files/upload', { filename: 'huge.iso', size_bytes: 5 * 1024 ** 3 + 1, upload_method: 'put' });

    // Assess
    expectRefusal(chosen, 413);
    expectRefusal(put, 413);
  });
});

describe('a multipart upload on a service that takes larger files', () => {
  const large = useLocalStack({ sweepIntervalMs: 0, maxUploadBytes: 5 * 1024 ** 4, multipartThresholdBytes: 64 * MiB });

  it('is chosen above the threshold, with parts that keep a 5 TiB file within 10,000', async () => {
    // Act
    const chosen = await large.api.post<MultipartTicket>('/v2/files/upload', { filename: 'big.bin', size_bytes: 64 * MiB + 1 });
    const largest = await large.api.post<MultipartTicket>('/v2/files/upload', { filename: 'all.bin', size_bytes: 5 * 1024 ** 4 });
    const single = await large.api.post('/v2/files/upload', { filename: 'big.bin', size_bytes: 5 * 1024 ** 3 + 1, upload_method: 'put' });

    // Assess
    expect(chosen.status).toBe(201);
    expect(chosen.body).toMatchObject({ upload_method: 'multipart', part_size: 8 * MiB });
    expect(largest.body.part_size * 10_000).toBeGreaterThanOrEqual(5 * 1024 ** 4);
    expect(largest.body.part_size).toBe(525 * MiB);
    expectRefusal(single, 400);
  });
});
