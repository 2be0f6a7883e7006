import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalAuth } from '../../local/auth';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';
import { Api, putBytes, tokensFor, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { Storage } from './support/storage';

let stack: LocalStack;
let own: Api;
let other: Api;
let storage: Storage;
/** A file of org-a, which org-b tries to reach. */
let file: Entity;

beforeAll(async () => {
  stack = await startLocalStack({});
  const tokens = await tokensFor(stack);
  own = new Api(stack.url, tokens.own);
  other = new Api(stack.url, tokens.other);
  storage = new Storage(stack);
  file = await uploadFile(own, { filename: 'secret.txt', mimeType: 'text/plain', bytes: Buffer.from('org-a only') });
});

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

function expectErrorBody(response: { status: number; body: unknown }, status: number): void {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({ status, error: expect.stringMatching(/\S/) });
}

describe("another org's file", () => {
  const routes: Array<[string, (api: Api) => Promise<{ status: number; body: unknown }>]> = [
    ['GET /v2/files/{id}', (api) => api.get(`/v2/files/${file._id}`)],
    ['GET /v1/files/{id}', (api) => api.get(`/v1/files/${file._id}`)],
    ['GET /v1/files/{id}/download', (api) => api.get(`/v1/files/${file._id}/download`)],
    ['DELETE /v2/files/{id}', (api) => api.delete(`/v2/files/${file._id}`)],
    ['DELETE /v1/files/{id}', (api) => api.delete(`/v1/files/${file._id}`)],
    ['POST /v2/files/upload?file_entity_id', (api) => api.post(`/v2/files/upload?file_entity_id=${file._id}`, { filename: 'x.txt' })],
  ];

  it.each(routes)('is a 404 at %s, exactly as an unknown id, and changes nothing', async (_route, call) => {
    // Prepare
    const before = await storage.snapshot();

    // Act
    const response = await call(other);

    // Assess
    expectErrorBody(response, 404);
    expect(await storage.snapshot()).toEqual(before);
    expect((await own.get(`/v2/files/${file._id}`)).status).toBe(200);
  });

  it('is a 404 entry in a bulk download', async () => {
    // Act
    const response = await other.post<Array<{ file_entity_id: string; download_url?: string; error?: unknown }>>(
      '/v1/files:downloadFiles',
      [{ id: file._id }],
    );

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual([{ file_entity_id: file._id, error: { status: 404, error: expect.any(String) } }]);
  });

  it('cannot receive a version saved by another org', async () => {
    // Prepare
    const ticket = await other.post<Ticket>('/v2/files/upload', { filename: 'intruder.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('intruder'), 'text/plain');
    const before = await storage.items();

    // Act
    const response = await other.post('/v2/files', { _id: file._id, s3ref: ticket.body.s3ref });

    // Assess
    expectErrorBody(response, 404);
    expect(await storage.items()).toEqual(before);
  });

  it("cannot be made from another org's upload", async () => {
    // Prepare
    const ticket = await own.post<Ticket>('/v2/files/upload', { filename: 'mine.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('mine'), 'text/plain');
    const before = await storage.snapshot();

    // Act
    const response = await other.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expectErrorBody(response, 403);
    expect(await storage.snapshot()).toEqual(before);
  });
});

describe('authentication', () => {
  const calls: Array<[string, string, unknown?]> = [
    ['POST', '/v2/files/upload', { filename: 'a.txt' }],
    ['POST', '/v1/files/upload', { filename: 'a.txt' }],
    ['POST', '/v2/files', {}],
    ['POST', '/v1/files', {}],
    ['GET', '/v2/files/{id}'],
    ['DELETE', '/v2/files/{id}'],
    ['GET', '/v1/files/{id}/download'],
    ['POST', '/v1/files:downloadFiles', [{ id: '{id}' }]],
  ];

  async function tokens(): Promise<Array<[string, string | undefined]>> {
    const valid = await stack.auth.sign({ org: 'org-a', user: 'alice' });
    const [header, payload, signature] = valid.split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), org_id: 'org-b' })).toString('base64url');
    const foreign = await (await createLocalAuth()).sign({ org: 'org-a', user: 'alice' });
    const expired = await stack.auth.sign({ org: 'org-a', user: 'alice' }, 1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    return [
      ['no token', undefined],
      ['a garbage token', 'not-a-jwt'],
      ['a token signed by another key', foreign],
      ['a token with edited claims', `${header}.${edited}.${signature}`],
      ['an expired token', expired],
    ];
  }

  it('answers 401 with a JSON error at every route for every bad token, and changes nothing', async () => {
    // Prepare
    const before = await storage.snapshot();
    const cases = await tokens();

    // Act
    const results = [];
    for (const [label, token] of cases) {
      for (const [method, path, body] of calls) {
        const resolved = path.replace('{id}', file._id);
        const payload = body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace('{id}', file._id));
        const response = await own.withToken(token).request(method, resolved, payload);
        results.push({ label, route: `${method} ${path}`, status: response.status, body: response.body });
      }
    }

    // Assess
    expect(results.filter((result) => result.status !== 401)).toEqual([]);
    for (const result of results) expect(result.body).toEqual({ status: 401, error: expect.stringMatching(/\S/) });
    expect(await storage.snapshot()).toEqual(before);
  });
});

describe('bad input', () => {
  const unknownId = '00000000-0000-4000-8000-000000000000';
  const temp = (key: string) => ({ s3ref: { bucket: 'file-service-local', key } });
  type Case = [label: string, method: string, path: string, body: unknown, raw: string | undefined, status: number];
  const cases: Case[] = [
    ['truncated JSON', 'POST', '/v2/files/upload', undefined, '{"filename":', 400],
    ['a body that is not JSON', 'POST', '/v2/files/upload', undefined, 'filename=a.txt', 400],
    ['no body', 'POST', '/v2/files/upload', undefined, '', 400],
    ['no filename', 'POST', '/v2/files/upload', {}, undefined, 400],
    ['a numeric filename', 'POST', '/v2/files/upload', { filename: 42 }, undefined, 400],
    ['an empty filename', 'POST', '/v1/files/upload', { filename: '' }, undefined, 400],
    ['a MIME type that is not one', 'POST', '/v2/files/upload', { filename: 'a', mime_type: 'not a mime' }, undefined, 400],
    ['a negative size', 'POST', '/v2/files/upload', { filename: 'a', size_bytes: -1 }, undefined, 400],
    ['a size as text', 'POST', '/v2/files/upload', { filename: 'a', size_bytes: 'big' }, undefined, 400],
    ['a malformed file_entity_id', 'POST', '/v2/files/upload?file_entity_id=abc', { filename: 'a' }, undefined, 400],
    ['an unknown file_entity_id', 'POST', `/v2/files/upload?file_entity_id=${unknownId}`, { filename: 'a' }, undefined, 404],
    ['a save without s3ref', 'POST', '/v2/files', {}, undefined, 400],
    ['a save from source_url', 'POST', '/v2/files', { source_url: 'https://example.com/a.pdf' }, undefined, 400],
    ['a save of a JSON array', 'POST', '/v2/files', [], undefined, 400],
    ['an s3ref in another bucket', 'POST', '/v2/files', { s3ref: { bucket: 'someone-else', key: 'temp/org-a/x/a.txt' } }, undefined, 400],
    ['an s3ref that is not a temp key', 'POST', '/v2/files', temp(`files/org-a/${unknownId}/a.txt`), undefined, 400],
    ['an s3ref that climbs out of its org', 'POST', '/v1/files', temp('temp/org-a/../org-b/a.txt'), undefined, 403],
    ['an s3ref of a string', 'POST', '/v2/files', { s3ref: 'temp/org-a/a.txt' }, undefined, 400],
    ['a malformed _id', 'POST', '/v2/files', { _id: 'abc', ...temp(`temp/org-a/${unknownId}/a.txt`) }, undefined, 400],
    ['an unknown access_control', 'POST', '/v2/files', { access_control: 'everyone', ...temp(`temp/org-a/${unknownId}/a.txt`) }, undefined, 400],
    ['delete_temp_file that is not a boolean', 'POST', '/v2/files?delete_temp_file=maybe', temp(`temp/org-a/${unknownId}/a.txt`), undefined, 400],
    ['an s3ref that was never uploaded', 'POST', '/v2/files', temp(`temp/org-a/${unknownId}/a.txt`), undefined, 404],
    ['a malformed id', 'GET', '/v2/files/not-a-uuid', undefined, undefined, 400],
    ['an unknown id', 'GET', `/v2/files/${unknownId}`, undefined, undefined, 404],
    ['a negative version', 'GET', `/v1/files/{id}/download?version=-1`, undefined, undefined, 400],
    ['a version that is not a number', 'GET', `/v1/files/{id}/download?version=latest`, undefined, undefined, 400],
    ['a version that does not exist', 'GET', `/v1/files/{id}/download?version=5`, undefined, undefined, 404],
    ['attachment that is not a boolean', 'GET', `/v1/files/{id}/download?attachment=yes`, undefined, undefined, 400],
    ['a malformed id to delete', 'DELETE', '/v2/files/..%2F..%2Fetc', undefined, undefined, 400],
    ['a bulk download of an object', 'POST', '/v1/files:downloadFiles', {}, undefined, 400],
    ['an empty bulk download', 'POST', '/v1/files:downloadFiles', [], undefined, 400],
    ['a bulk download with a bad id', 'POST', '/v1/files:downloadFiles', [{ id: 'x' }], undefined, 400],
    ['a bulk download of 101 files', 'POST', '/v1/files:downloadFiles', Array.from({ length: 101 }, () => ({ id: unknownId })), undefined, 400],
    ['a JSON body over 1 MiB', 'POST', '/v2/files', { filename: 'x'.repeat(1024 * 1024 + 1) }, undefined, 413],
    ['a wrong method', 'PUT', '/v2/files', {}, undefined, 405],
    ['another wrong method', 'PATCH', '/v2/files/{id}', {}, undefined, 405],
    ['an unknown route', 'GET', '/v3/files', undefined, undefined, 404],
  ];

  it.each(cases)('answers %s with a JSON error and changes nothing', async (_label, method, path, body, raw, status) => {
    // Prepare
    const before = await storage.snapshot();

    // Act
    const response = await own.request(method, path.replace('{id}', file._id), body, raw === undefined ? {} : { rawBody: raw });

    // Assess
    expectErrorBody(response, status);
    expect(await storage.snapshot()).toEqual(before);
  });
});
