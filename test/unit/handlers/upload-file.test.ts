import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/upload-file';
import { bucket, ddb, entityItem, org, region, s3, useMockedAws } from './aws';
import { apiEvent, bodyOf } from './events';

useMockedAws();

const route = 'POST /v2/files/upload';
const fileId = '9b2e7c1d-3f4a-4b5c-8d6e-7f8091a2b3c4';

interface Ticket {
  s3ref: { bucket: string; key: string };
  upload_url: string;
  public_url?: string;
}

function signedHeaders(uploadUrl: string): string[] {
  return (new URL(uploadUrl).searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
}

describe('upload-file handler', () => {
  it('answers 201 with a temp key of the caller and a PUT URL that signs the content type', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: 'report.pdf', mime_type: 'application/pdf' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    const ticket = bodyOf<Ticket>(result);
    expect(ticket.s3ref.bucket).toBe(bucket);
    expect(ticket.s3ref.key).toMatch(new RegExp(`^temp/${org}/[0-9a-f-]{36}/report\\.pdf$`));
    const url = new URL(ticket.upload_url);
    expect(url.hostname).toBe(`${bucket}.s3.${region}.amazonaws.com`);
    expect(decodeURIComponent(url.pathname)).toBe(`/${ticket.s3ref.key}`);
    expect(signedHeaders(ticket.upload_url)).toContain('content-type');
    expect(signedHeaders(ticket.upload_url)).not.toContain('content-length');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('also signs the content length when size_bytes is given', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 5 } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(signedHeaders(bodyOf<Ticket>(result).upload_url)).toEqual(expect.arrayContaining(['content-type', 'content-length']));
  });

  it('keeps a hostile filename out of the key structure', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: '../../files/123/x/evil.pdf', mime_type: 'application/pdf' } });

    // Act
    const ticket = bodyOf<Ticket>(await handler(event));

    // Assess
    expect(ticket.s3ref.key.split('/')).toHaveLength(4);
    expect(ticket.s3ref.key.startsWith(`temp/${org}/`)).toBe(true);
  });

  it('answers 404 for a new version of a file the table does not hold for the org', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});
    const event = apiEvent({ routeKey: route, body: { filename: 'a.pdf' }, query: { file_entity_id: fileId } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(404);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({ pk: `FILE#${org}#${fileId}`, sk: 'FILE' });
  });

  it('answers 201 with the public URL of the file, on the API it was called through, for a new version of an existing file', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: entityItem(fileId, 1) });
    const event = apiEvent({ routeKey: route, body: { filename: 'a.pdf' }, query: { file_entity_id: fileId } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(bodyOf<Ticket>(result).public_url).toBe(`https://api.example.com/v1/files/public/${fileId}?org_id=${org}`);
  });

  it('answers 400 for a body without filename and signs nothing', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { mime_type: 'application/pdf' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({ status: 400, error: expect.stringContaining('filename') });
    expect(result.body).not.toMatch(/X-Amz-Signature|upload_url|temp\//);
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  it.each([
    ['an empty mime_type, as a browser gives for a file it cannot type', { filename: 'notes.xyz', mime_type: '' }],
    ['no mime_type', { filename: 'notes.xyz' }],
  ])('signs no content type for %s, so any or none may be sent', async (_case, body) => {
    // Prepare
    const event = apiEvent({ routeKey: route, body });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    const url = new URL(bodyOf<Ticket>(result).upload_url);
    expect(signedHeaders(url.href)).toEqual(['host']);
    expect(url.searchParams.has('content-type')).toBe(false);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs the declared application/octet-stream as any other declared type', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: 'a.bin', mime_type: 'application/octet-stream' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(signedHeaders(bodyOf<Ticket>(result).upload_url)).toContain('content-type');
  });

  it('answers a presigned POST form for upload_method post, limited to the declared size', async () => {
    // Prepare
    const body = { filename: 'a.pdf', mime_type: 'application/pdf', size_bytes: 2048, upload_method: 'post' };
    const event = apiEvent({ routeKey: route, body });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    const ticket = bodyOf<Ticket & { upload_fields: Record<string, string>; max_size_bytes: number }>(result);
    expect(ticket.upload_url).toBe(`https://${bucket}.s3.${region}.amazonaws.com/`);
    expect(ticket.max_size_bytes).toBe(2048);
    expect(ticket.upload_fields).toMatchObject({ key: ticket.s3ref.key, 'Content-Type': 'application/pdf' });
    const policy = JSON.parse(Buffer.from(ticket.upload_fields.policy ?? '', 'base64').toString('utf8')) as { conditions: unknown[] };
    expect(policy.conditions).toContainEqual(['content-length-range', 0, 2048]);
    expect(s3.calls()).toHaveLength(0);
  });

  it('limits a POST upload without a declared size to the service maximum, on the v1 route too', async () => {
    // Prepare
    const event = apiEvent({ routeKey: 'POST /v1/files/upload', body: { filename: 'a.bin', upload_method: 'post' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(bodyOf<{ max_size_bytes: number }>(result).max_size_bytes).toBe(5 * 1024 ** 3);
  });

  it('answers a PUT URL for upload_method put, as without it', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: 'a.txt', mime_type: 'text/plain', upload_method: 'put' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(201);
    expect(Object.keys(bodyOf(result)).sort()).toEqual(['s3ref', 'upload_url']);
    expect(signedHeaders(bodyOf<Ticket>(result).upload_url)).toContain('content-type');
  });

  it.each([['Multipart'], ['POST'], [''], [1], [null], [true], [['post']], [{ method: 'post' }]])(
    'answers 400 for upload_method %j and signs nothing',
    async (upload_method) => {
      // Prepare
      const event = apiEvent({ routeKey: route, body: { filename: 'a.txt', upload_method } });

      // Act
      const result = await handler(event);

      // Assess
      expect(result.statusCode).toBe(400);
      expect(bodyOf(result)).toEqual({ status: 400, error: expect.stringContaining('upload_method') });
      expect(result.body).not.toMatch(/policy|upload_url|temp\//);
    },
  );

  it('answers 400 for a mime_type that is not a MIME type', async () => {
    // Prepare
    const event = apiEvent({ routeKey: route, body: { filename: 'a.txt', mime_type: ' ' } });

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(result).error).toContain('mime_type');
  });
});
