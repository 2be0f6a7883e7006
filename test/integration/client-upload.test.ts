import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileServiceClient, FileServiceError, memoryResumeStore, type FileServiceClient, type UploadProgress } from '../../client';
import { downloadBytes } from './support/api';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });
const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'client-upload-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** A client of org-a that counts the API requests it makes, by "METHOD path". */
async function countingClient(): Promise<{ files: FileServiceClient; requests: string[] }> {
  const requests: string[] = [];
  const token = await context.stack.auth.sign({ org: 'org-a', user: 'alice' });
  const files = createFileServiceClient({
    baseUrl: context.stack.url,
    token: () => token,
    fetch: (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      requests.push(`${request.method} ${new URL(request.url).pathname}`);
      return fetch(input, init);
    },
  });
  return { files, requests };
}

describe('the typed client', () => {
  it('uploads a small file in one PUT with its tags and relations and answers the saved entity', async () => {
    // Prepare
    const { files, requests } = await countingClient();
    const bytes = new TextEncoder().encode('hello, client');
    const events: UploadProgress[] = [];

    // Act
    const saved = await files.uploadFile(bytes, { filename: 'hello.txt', mimeType: 'text/plain', fields: { _tags: ['greeting'], relations: [{ entity_id: 'order-4711' }] }, onProgress: (event) => events.push(event) });

    // Assess
    expect(saved).toMatchObject({ filename: 'hello.txt', mime_type: 'text/plain', size_bytes: bytes.byteLength, _tags: ['greeting'], relations: [{ entity_id: 'order-4711' }] });
    expect(requests).toEqual(['POST /v2/files/upload', 'POST /v2/files']);
    expect(events.at(-1)).toEqual({ loaded: bytes.byteLength, total: bytes.byteLength });
    expect((await downloadBytes(context.api, saved._id)).toString()).toBe('hello, client');
  });

  it('adds a version to a file named by fileEntityId', async () => {
    // Prepare
    const { files } = await countingClient();
    const first = await files.uploadFile(new TextEncoder().encode('one'), { filename: 'notes.txt' });

    // Act
    const second = await files.uploadFile(new TextEncoder().encode('two, longer'), { filename: 'notes.txt', fileEntityId: first._id });

    // Assess
    expect(second._id).toBe(first._id);
    expect(second.versions).toHaveLength(2);
    expect((await downloadBytes(context.api, first._id)).toString()).toBe('two, longer');
    expect((await downloadBytes(context.api, first._id, 1)).toString()).toBe('one');
  });

  it('answers the typed API with the token added by its middleware', async () => {
    // Prepare
    const { files } = await countingClient();
    const saved = await files.uploadFile(new TextEncoder().encode('typed'), { filename: 'typed.txt' });

    // Act
    const { data, response } = await files.api.GET('/v2/files/{id}', { params: { path: { id: saved._id } } });

    // Assess
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ _id: saved._id, filename: 'typed.txt' });
  });

  it('rejects with a FileServiceError carrying the status and the service message', async () => {
    // Prepare
    const { files } = await countingClient();
    const stranger = createFileServiceClient({ baseUrl: context.stack.url, token: 'not-a-token' });

    // Act
    const missing = await files.uploadFile(new TextEncoder().encode('x'), { filename: 'x.txt', fileEntityId: '00000000-0000-4000-8000-000000000000' }).catch((error: unknown) => error);
    const refused = await stranger.request('GET', '/v2/files').catch((error: unknown) => error);

    // Assess
    expect(missing).toBeInstanceOf(FileServiceError);
    expect(missing).toMatchObject({ status: 404 });
    expect((missing as FileServiceError).error).toMatch(/not found/i);
    expect(refused).toBeInstanceOf(FileServiceError);
    expect(refused).toMatchObject({ status: 401 });
  });

  it('uploads a 50 MB file from a path in parts with progress rising to the total', async () => {
    // Prepare
    const { files, requests } = await countingClient();
    const bytes = randomBytes(50 * 1000 * 1000);
    const path = join(directory, 'big.bin');
    await writeFile(path, bytes);
    const events: UploadProgress[] = [];

    // Act
    const saved = await files.uploadFile({ path }, { multipartThresholdBytes: 8 * MiB, onProgress: (event) => events.push(event) });

    // Assess
    expect(saved).toMatchObject({ filename: 'big.bin', size_bytes: bytes.byteLength });
    expect(requests.filter((request) => request.endsWith('/parts'))).toHaveLength(Math.ceil(bytes.byteLength / (8 * MiB)));
    expect(events.length).toBeGreaterThan(20);
    expect(events.every((event, index) => index === 0 || event.loaded > (events[index - 1] as UploadProgress).loaded)).toBe(true);
    expect(events.at(-1)).toEqual({ loaded: bytes.byteLength, total: bytes.byteLength });
    expect(sha256(await downloadBytes(context.api, saved._id))).toBe(sha256(bytes));
  });

  it('aborted midway, resumes on the next call by sending only the parts S3 does not hold', async () => {
    // Prepare
    const { files, requests } = await countingClient();
    const bytes = randomBytes(40 * MiB + 12345);
    const store = memoryResumeStore();
    const controller = new AbortController();
    const options = { filename: 'resumed.bin', multipartThresholdBytes: 8 * MiB, concurrency: 1, resumeStore: store };
    const firstRun = await files
      .uploadFile(bytes, { ...options, signal: controller.signal, onProgress: ({ loaded }) => loaded >= 20 * MiB && controller.abort() })
      .catch((error: unknown) => error);
    const partsSentFirst = requests.filter((request) => request.startsWith('POST') && request.endsWith('/parts')).length;
    requests.length = 0;
    const resumedEvents: UploadProgress[] = [];

    // Act
    const saved = await files.uploadFile(bytes, { ...options, onProgress: (event) => resumedEvents.push(event) });

    // Assess
    expect(firstRun).toMatchObject({ name: 'AbortError' });
    const partsSentAgain = requests.filter((request) => request.startsWith('POST') && request.endsWith('/parts')).length;
    expect(requests[0]).toMatch(/^GET \/v1\/files\/upload\/.+\/parts$/);
    expect(requests).not.toContain('POST /v2/files/upload');
    expect(partsSentAgain).toBeLessThan(6);
    expect(partsSentAgain + partsSentFirst).toBeLessThanOrEqual(6 + 1); // the part in flight at the abort may go twice
    expect((resumedEvents[0] as UploadProgress).loaded).toBeGreaterThanOrEqual(16 * MiB);
    expect(saved.size_bytes).toBe(bytes.byteLength);
    expect(sha256(await downloadBytes(context.api, saved._id))).toBe(sha256(bytes));
  });

  it('starts afresh when the remembered upload is gone', async () => {
    // Prepare
    const { files, requests } = await countingClient();
    const bytes = randomBytes(9 * MiB);
    const store = memoryResumeStore();
    const options = { filename: 'gone.bin', multipartThresholdBytes: 8 * MiB, resumeStore: store };
    const controller = new AbortController();
    await files.uploadFile(bytes, { ...options, signal: controller.signal, onProgress: () => controller.abort() }).catch(() => undefined);
    const uploadId = requests.find((request) => request.endsWith('/parts'))?.split('/')[4] ?? '';
    await files.request('DELETE', `/v1/files/upload/${uploadId}`);
    requests.length = 0;

    // Act
    const saved = await files.uploadFile(bytes, options);

    // Assess
    expect(requests.slice(0, 2)).toEqual([`GET /v1/files/upload/${uploadId}/parts`, 'POST /v2/files/upload']);
    expect(sha256(await downloadBytes(context.api, saved._id))).toBe(sha256(bytes));
  });
});
