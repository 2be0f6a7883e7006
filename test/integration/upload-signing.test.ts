import { describe, expect, it } from 'vitest';
import { downloadBytes } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0, allowedMimeTypes: ['text/*', 'application/octet-stream'] });
const MiB = 1024 * 1024;

interface Signed {
  url: string;
  key?: string;
  headers?: Record<string, string>;
}

async function sign(request: Record<string, unknown>): Promise<Signed> {
  const answer = await context.api.post<Signed>('/v1/files/upload/sign', request);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

const tagOf = (xml: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1] ?? '';

describe('signing the S3 calls of an upload a browser makes itself (Uppy 6 signRequest)', () => {
  it('signs a PutObject at a key of its own under the caller’s org, with the type the URL was signed for', async () => {
    // Act
    const signed = await sign({ method: 'PUT', key: 'my notes.txt', contentType: 'text/plain' });
    const put = await fetch(signed.url, { method: 'PUT', body: 'hello', headers: signed.headers });
    const wrongType = await fetch(signed.url, { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/html' } });
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: { bucket: context.stack.bucket, key: signed.key } });

    // Assess
    expect(signed.key).toMatch(/^temp\/org-a\/[0-9a-f-]{36}\/my notes\.txt$/);
    expect(signed.headers).toEqual({ 'content-type': 'text/plain' });
    expect(put.status).toBe(200);
    expect(wrongType.status).toBe(403);
    expect(saved.status).toBe(201);
    expect((await downloadBytes(context.api, saved.body._id)).toString()).toBe('hello');
  });

  it('signs every call of a multipart upload on the key it chose, which is then saved like any upload', async () => {
    // Prepare
    const first = Buffer.alloc(5 * MiB, 'a');
    const second = Buffer.from('the end');

    // Act: as Uppy does it, one signed call at a time.
    const created = await sign({ method: 'POST', key: 'big.bin', contentType: 'application/octet-stream' });
    const createdAnswer = await fetch(created.url, { method: 'POST', headers: created.headers });
    const uploadId = tagOf(await createdAnswer.text(), 'UploadId');
    const key = created.key ?? '';
    const etags: string[] = [];
    for (const [index, bytes] of [first, second].entries()) {
      const part = await sign({ method: 'PUT', key, uploadId, partNumber: index + 1 });
      etags.push((await fetch(part.url, { method: 'PUT', body: bytes })).headers.get('etag') ?? '');
    }
    const listed = await (await fetch((await sign({ method: 'GET', key, uploadId })).url)).text();
    const parts = etags.map((etag, index) => `<Part><PartNumber>${index + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('');
    const completed = await fetch((await sign({ method: 'POST', key, uploadId })).url, {
      method: 'POST',
      body: `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`,
    });
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: { bucket: context.stack.bucket, key } });

    // Assess
    expect(createdAnswer.status).toBe(200);
    expect(key).toMatch(/^temp\/org-a\/[0-9a-f-]{36}\/big\.bin$/);
    expect(listed.match(/<PartNumber>/g)).toHaveLength(2);
    expect(completed.status).toBe(200);
    expect(saved.status).toBe(201);
    expect(saved.body.size_bytes).toBe(first.length + second.length);
    expect((await downloadBytes(context.api, saved.body._id)).equals(Buffer.concat([first, second]))).toBe(true);
  });

  it('signs the abort of a multipart upload, after which its parts are gone', async () => {
    // Prepare
    const created = await sign({ method: 'POST', key: 'gone.bin' });
    const uploadId = tagOf(await (await fetch(created.url, { method: 'POST' })).text(), 'UploadId');
    const key = created.key ?? '';

    // Act
    const aborted = await fetch((await sign({ method: 'DELETE', key, uploadId })).url, { method: 'DELETE' });
    const listed = await fetch((await sign({ method: 'GET', key, uploadId })).url);

    // Assess
    expect(aborted.status).toBe(204);
    expect(listed.status).toBe(404);
  });

  it.each([
    ['a DeleteObject', { method: 'DELETE', key: 'a.txt' }, 400],
    ['a GetObject', { method: 'GET', key: 'a.txt' }, 400],
    ['a part without an upload', { method: 'PUT', key: 'a.txt', partNumber: 1 }, 400],
    ['a PUT with an upload but no part number', { method: 'PUT', key: 'temp/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x' }, 400],
    ['part number 0', { method: 'PUT', key: 'temp/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x', partNumber: 0 }, 400],
    ['part number 10,001', { method: 'PUT', key: 'temp/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x', partNumber: 10_001 }, 400],
    ['a call on a saved file’s key', { method: 'GET', key: 'files/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x' }, 400],
    ['a call on another org’s upload', { method: 'POST', key: 'temp/org-b/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x' }, 403],
    ['a key that climbs directories', { method: 'GET', key: 'temp/org-a/../org-b/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x' }, 403],
    ['an upload id with a query in it', { method: 'GET', key: 'temp/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/a.txt', uploadId: 'x&partNumber=1' }, 400],
    ['an unknown method', { method: 'PATCH', key: 'a.txt' }, 400],
    ['a type the service does not accept', { method: 'PUT', key: 'a.html', contentType: 'image/png' }, 415],
    ['no key', { method: 'PUT' }, 400],
  ])('refuses to sign %s', async (_case, request, status) => {
    // Act
    const answer = await context.api.post('/v1/files/upload/sign', request);

    // Assess
    expectRefusal(answer, status);
  });
});
