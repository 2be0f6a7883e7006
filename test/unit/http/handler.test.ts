import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, NotFoundError, UnsupportedMediaTypeError } from '../../../lambdas/core/errors';
import type { HttpError } from '../../../lambdas/core/errors';
import { httpHandler } from '../../../lambdas/http/handler';
import type { ApiRequest } from '../../../lambdas/http/handler';
import { createLogger, redact } from '../../../lambdas/http/logger';
import { apiEvent, bodyOf } from '../handlers/events';
import type { EventOptions } from '../handlers/events';

const echoSchema = z.object({ name: z.string().min(1), nested: z.object({ count: z.number().int() }).optional() });

/** A handler over a tiny operation that echoes its validated body and caller, with captured logs. */
function echoHandler(handle: (request: ApiRequest) => Promise<unknown> = async (request) => ({
  caller: request.caller,
  body: request.body(echoSchema),
})) {
  const lines: string[] = [];
  const handler = httpHandler('echo', async (request) => ({ status: 200, body: await handle(request) }), createLogger((line) => lines.push(line), 'debug'));
  return { handler, lines, call: (options: EventOptions) => handler(apiEvent(options)) };
}

function failingWith(error: unknown) {
  return echoHandler(async () => {
    throw error;
  });
}

describe('httpHandler', () => {
  it('passes the caller from the JWT claims and the validated body to the operation', async () => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call({ body: { name: 'x', ignored: true }, claims: { org_id: 42, sub: 'u-1' } });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(bodyOf(result)).toEqual({ caller: { org: '42', userId: 'u-1', apiUrl: 'https://api.example.com' }, body: { name: 'x' } });
  });

  it('answers 401 as an ErrorObject when the request carries no claims', async () => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call({ body: { name: 'x' }, claims: null });

    // Assess
    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toEqual({ status: 401, error: expect.any(String) });
  });

  it.each([
    ['no org_id', { sub: 'u-1' }],
    ['an empty org_id', { org_id: '', sub: 'u-1' }],
    ['no sub', { org_id: '1' }],
  ])('answers 403 for claims with %s', async (_case, claims) => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call({ body: { name: 'x' }, claims });

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toMatchObject({ status: 403 });
  });

  it('answers 400, not 415, for a malformed JSON body', async () => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call({ rawBody: '{"name": "x",' });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({ status: 400, error: expect.stringMatching(/JSON/) });
  });

  it.each([['missing', undefined], ['empty', ''], ['blank', '  \n ']])('answers 400 for a %s body', async (_case, rawBody) => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call(rawBody === undefined ? {} : { rawBody });

    // Assess
    expect(result.statusCode).toBe(400);
  });

  it('decodes a base64-encoded body', async () => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call({ body: { name: 'Grüße' }, base64: true });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ body: { name: 'Grüße' } });
  });

  it('answers 413 for a body over 1 MiB, even when it is base64-encoded', async () => {
    // Prepare
    const { call } = echoHandler();
    const huge = { name: 'x'.repeat(1024 * 1024) };

    // Act
    const results = [await call({ body: huge }), await call({ body: huge, base64: true })];

    // Assess
    expect(results.map((result) => result.statusCode)).toEqual([413, 413]);
  });

  it('answers 400 naming the field path when the body fails its schema', async () => {
    // Prepare
    const { call } = echoHandler();

    // Act
    const result = await call({ body: { name: 'x', nested: { count: 1.5 } } });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(result).error).toContain('nested.count');
  });

  it('validates query and path parameters with the same 400', async () => {
    // Prepare
    const { call } = echoHandler(async (request) => request.query(z.object({ version: z.string().regex(/^\d+$/) })));

    // Act
    const result = await call({ query: { version: 'latest' } });

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(result).error).toMatch(/query.*version/);
  });

  it.each([
    new NotFoundError('File x not found'),
    new ConflictError('Too many concurrent changes'),
    new UnsupportedMediaTypeError('The uploaded bytes are not image/png'),
  ])('renders $name with its own status and message', async (error: HttpError) => {
    // Prepare
    const { call } = failingWith(error);

    // Act
    const result = await call({ body: { name: 'x' } });

    // Assess
    expect(result.statusCode).toBe(error.status);
    expect(bodyOf(result)).toEqual({ status: error.status, error: error.message });
  });

  it('answers 500 with a generic message for an unexpected error and logs it instead', async () => {
    // Prepare
    const { call, lines } = failingWith(new Error('connect to db-internal.local:5432 failed for user admin'));

    // Act
    const result = await call({ body: { name: 'x' } });

    // Assess
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('db-internal');
    expect(bodyOf(result)).toEqual({ status: 500, error: expect.any(String) });
    expect(lines.some((line) => line.includes('db-internal') && JSON.parse(line).level === 'error')).toBe(true);
  });

  it('does not log client errors at error level', async () => {
    // Prepare
    const { call, lines } = failingWith(new NotFoundError('nope'));

    // Act
    await call({ body: { name: 'x' } });

    // Assess
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['info']);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ operation: 'echo', status: 404, org: '123' });
  });

  it('never writes a presigned signature or bearer token from a logged error', async () => {
    // Prepare
    const url = 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIDSECRETCRED&X-Amz-Signature=abc123sig&x=1';
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlX3NlY3JldA';
    const { call, lines } = failingWith(new Error(`GET ${url} failed; Authorization: Bearer ${token}`));

    // Act
    await call({ body: { name: 'x' } });

    // Assess
    const written = lines.join('\n');
    expect(written).toContain('X-Amz-Signature=[redacted]');
    expect(written).not.toContain('abc123sig');
    expect(written).not.toContain('AKIDSECRETCRED');
    expect(written).not.toContain('c2lnbmF0dXJlX3NlY3JldA');
  });
});

describe('redact', () => {
  it.each([
    ['a presigned URL', 'https://h/k?X-Amz-Algorithm=A&X-Amz-Signature=deadbeef&X-Amz-Security-Token=tok%2Fen', ['deadbeef', 'tok%2Fen']],
    ['a bearer token', 'authorization: Bearer opaque.token-value_123', ['opaque.token-value_123']],
    ['a bare JWT', 'token=eyJhbGciOiJIUzI1NiJ9.eyJvcmdfaWQiOiIxIn0.sig-part', ['eyJvcmdfaWQiOiIxIn0', 'sig-part']],
  ])('masks %s', (_case, text, secrets) => {
    // Act
    const masked = redact(text);

    // Assess
    for (const secret of secrets) expect(masked).not.toContain(secret);
    expect(masked).toContain('redacted');
  });

  it('leaves text without secrets unchanged', () => {
    // Prepare
    const text = 'saved files/123/abc/report.pdf in 12 ms';

    // Act
    const masked = redact(text);

    // Assess
    expect(masked).toBe(text);
  });
});
