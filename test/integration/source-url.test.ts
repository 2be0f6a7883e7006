import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { png, patterned, startSourceServer } from './support/source-server';
import type { SourceServer } from './support/source-server';
import { useLocalStack } from './support/stack';

/**
 * Saves that name a `source_url`: the service fetches the file itself, over real HTTP from a
 * local server on 127.0.0.1, the one host the stack allows over plain http.
 */
const maxUploadBytes = 200_000;
const timeoutMs = 2_000;
// No previews ahead of time: a saved PNG's default preview, kept in the background, would land in a later test's storage snapshot.
const context = useLocalStack({ sweepIntervalMs: 0, previewsAhead: false, sourceUrlHttpHosts: ['127.0.0.1'], sourceUrlTimeoutMs: timeoutMs, maxUploadBytes });
let source: SourceServer;

beforeAll(async () => {
  source = await startSourceServer();
});
afterAll(async () => {
  await source?.stop();
});

describe('a save with source_url', () => {
  it('stores the file the source sends, bytes identical, typed from its bytes, and leaves no upload behind', async () => {
    // Prepare
    const { api, storage } = context;

    // Act
    const saved = await api.post<Entity>('/v2/files', { source_url: `${source.url}/file/pixel.png?type=image/png`, _tags: ['fetched'] });

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'pixel.png', mime_type: 'image/png', type: 'image', size_bytes: png.length, _tags: ['fetched'] });
    expect((await downloadBytes(api, saved.body._id)).equals(png)).toBe(true);
    expect((await storage.keys('temp/')).filter((key) => key.includes(saved.body._id))).toEqual([]);
  });

  it('streams a file in many chunks without a declared length, up to the size limit', async () => {
    // Act
    const saved = await context.api.post<Entity>('/v2/files', { source_url: `${source.url}/chunked?bytes=${maxUploadBytes}` });

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'chunked', mime_type: 'text/plain', size_bytes: maxUploadBytes });
    expect((await downloadBytes(context.api, saved.body._id)).equals(patterned(maxUploadBytes))).toBe(true);
  });

  it('names the file after the source’s Content-Disposition, and lets the save’s own filename and mime_type win', async () => {
    // Act
    const named = await context.api.post<Entity>('/v2/files', { source_url: `${source.url}/named?filename=${encodeURIComponent('Rechnung März.txt')}` });
    const chosen = await context.api.post<Entity>('/v2/files', {
      source_url: `${source.url}/file/data.bin?bytes=20`,
      filename: 'chosen.csv',
      mime_type: 'text/csv',
    });

    // Assess
    expect(named.status).toBe(201);
    expect(named.body).toMatchObject({ filename: 'Rechnung März.txt', mime_type: 'text/plain' });
    expect(chosen.status).toBe(201);
    expect(chosen.body).toMatchObject({ filename: 'chosen.csv', mime_type: 'text/csv', size_bytes: 20 });
  });

  it('adds a version to an existing file', async () => {
    // Prepare
    const { api } = context;
    const first = await api.post<Entity>('/v2/files', { source_url: `${source.url}/file/notes.txt?type=text/plain&bytes=10` });

    // Act
    const second = await api.post<Entity>('/v2/files', { _id: first.body._id, source_url: `${source.url}/file/notes.txt?type=text/plain&bytes=30` });

    // Assess
    expect(second.status).toBe(200);
    expect(second.body.versions.map((version) => version.size_bytes)).toEqual([30, 10]);
  });

  it('refuses a PNG the source declares as text/plain with 415, as any upload, and keeps none of its bytes', async () => {
    // Prepare
    const { api, storage } = context;
    const before = await storage.snapshot();

    // Act
    const answer = await api.post('/v2/files', { source_url: `${source.url}/file/pixel.png?type=text/plain` });

    // Assess
    expectRefusal(answer, 415);
    expect(await storage.snapshot()).toEqual(before);
  });

  it('follows three redirects, each checked again', async () => {
    // Act
    const saved = await context.api.post<Entity>('/v2/files', { source_url: `${source.url}/hops/3` });

    // Assess
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'hops.txt', size_bytes: 1000 });
  });
});

describe('a save with source_url refuses, saving nothing', () => {
  const refusals: Array<[string, () => string, number, RegExp]> = [
    ['plain http to a host not allowed', () => source.url.replace('127.0.0.1', 'localhost'), 400, /plain http/],
    ['https to 127.0.0.1', () => 'https://127.0.0.1/', 400, /loopback/],
    ['https to localhost', () => 'https://localhost/', 400, /resolves to .*loopback/],
    ['https to [::1]', () => 'https://[::1]/', 400, /loopback/],
    ['https to 0x7f.1', () => 'https://0x7f.1/', 400, /loopback/],
    ['https to 2130706433', () => 'https://2130706433/', 400, /loopback/],
    ['https to 0177.0.0.1', () => 'https://0177.0.0.1/', 400, /loopback/],
    ['https to 127.1', () => 'https://127.1/', 400, /loopback/],
    ['https to [::ffff:127.0.0.1]', () => 'https://[::ffff:127.0.0.1]/', 400, /loopback/],
    ['https to [::ffff:7f00:1]', () => 'https://[::ffff:7f00:1]/', 400, /loopback/],
    ['https to [0:0:0:0:0:ffff:127.0.0.1]', () => 'https://[0:0:0:0:0:ffff:127.0.0.1]/', 400, /loopback/],
    ['the metadata service', () => 'https://169.254.169.254/latest/meta-data/', 400, /metadata/],
    ['the IPv6 metadata service', () => 'https://[fd00:ec2::254]/', 400, /metadata/],
    ['a NAT64 address of a private one', () => 'https://[64:ff9b::a00:1]/', 400, /private/],
    ['a 6to4 address of a loopback one', () => 'https://[2002:7f00:1::1]/', 400, /loopback/],
    ['https to 10.0.0.1', () => 'https://10.0.0.1/', 400, /private/],
    ['https to 192.168.1.1', () => 'https://192.168.1.1/', 400, /private/],
    ['https to 172.16.0.1', () => 'https://172.16.0.1/', 400, /private/],
    ['https to 100.64.0.1', () => 'https://100.64.0.1/', 400, /CGNAT/],
    ['https to [fe80::1]', () => 'https://[fe80::1]/', 400, /link-local/],
    ['https to 0.0.0.0', () => 'https://0.0.0.0/', 400, /unspecified/],
    ['https to a documentation address', () => 'https://192.0.2.1/', 400, /documentation/],
    ['ftp', () => 'ftp://example.com/file.txt', 400, /https/],
    ['file:///etc/passwd', () => 'file:///etc/passwd', 400, /https/],
    ['credentials in the URL', () => 'https://user:pw@example.com/', 400, /credentials/],
    ['a text that is no URL', () => 'not a url', 400, /https URL/],
    ['an empty URL', () => '', 400, /https URL/],
    ['a URL of 3,000 characters', () => `https://example.com/${'a'.repeat(3000)}`, 400, /at most 2048/],
    ['a source redirecting to the metadata service over http', () => `${source.url}/to?location=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`, 400, /plain http/],
    ['a source redirecting to https://127.0.0.1/', () => `${source.url}/to?location=${encodeURIComponent('https://127.0.0.1/')}`, 400, /loopback/],
    ['a source redirecting to the IPv6 metadata service', () => `${source.url}/to?location=${encodeURIComponent('https://[fd00:ec2::254]/latest/meta-data/')}`, 400, /metadata/],
    ['a source redirecting to file:', () => `${source.url}/to?location=${encodeURIComponent('file:///etc/passwd')}`, 400, /https/],
    ['four redirects', () => `${source.url}/hops/4`, 422, /more than 3 times/],
    ['a source answering 404', () => `${source.url}/status/404`, 422, /HTTP 404/],
    ['a source answering 500', () => `${source.url}/status/500`, 422, /HTTP 500/],
    ['a source answering 204', () => `${source.url}/status/204`, 422, /HTTP 204/],
    ['a source declaring more bytes than the limit', () => `${source.url}/file/big.bin?bytes=${maxUploadBytes + 1}`, 413, /declares/],
    ['a source sending more than the limit without a length', () => `${source.url}/chunked?bytes=${maxUploadBytes + 1}`, 413, /sent more/],
    ['a source sending more than the limit until it closes the connection', () => `${source.rawUrl}/`, 413, /sent more/],
    ['a port nothing listens on', () => 'http://127.0.0.1:1/', 422, /could not be fetched/],
  ];

  it.each(refusals)('%s', async (_case, url, status, message) => {
    // Prepare
    const { api, storage } = context;
    const before = await storage.snapshot();

    // Act
    const answer = await api.post<{ error: string }>('/v2/files', { source_url: url() });

    // Assess
    expectRefusal(answer, status);
    expect(answer.body.error).toMatch(message);
    expect(await storage.snapshot()).toEqual(before);
  });

  it.each([
    ['an s3ref', { s3ref: { bucket: 'b', key: 'temp/org-a/x/a.txt' } }],
    ['content_base64', { filename: 'a.txt', content_base64: Buffer.from('x').toString('base64') }],
  ])('refuses source_url together with %s with 400', async (_case, fields) => {
    // Prepare
    const { api, storage } = context;
    const before = await storage.snapshot();

    // Act
    const answer = await api.post('/v2/files', { source_url: `${source.url}/file/a.txt`, ...fields });

    // Assess
    expectRefusal(answer, 400);
    expect(await storage.snapshot()).toEqual(before);
    expect(source.hits.get('/file/a.txt')).toBeUndefined();
  });

  it.each([
    ['sends part of the file and then stalls', '/stall'],
    ['never answers', '/silent'],
  ])('answers a source that %s with 422 once the time bound passes', async (_case, path) => {
    // Prepare
    const { api, storage } = context;
    const before = await storage.snapshot();
    const started = Date.now();

    // Act
    const answer = await api.post<{ error: string }>('/v2/files', { source_url: `${source.url}${path}` });

    // Assess
    expectRefusal(answer, 422);
    expect(answer.body.error).toMatch(/within 2 s/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(timeoutMs - 100);
    expect(Date.now() - started).toBeLessThan(timeoutMs + 5_000);
    expect(await storage.snapshot()).toEqual(before);
  });
});
