import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readResult, startLocalApi } from '../../../local/api';
import type { LocalApi, LocalRoute } from '../../../local/api';
import { createLocalAuth } from '../../../local/auth';
import type { LocalAuth } from '../../../local/auth';
import type { ApiEvent, ApiResult } from '../../../lambdas/http/handler';

/**
 * The local API's own answers, the ones API Gateway gives without calling a Lambda, checked
 * over real HTTP against handlers that misbehave on purpose.
 */

const timeoutMs = 300;
let api: LocalApi;
let auth: LocalAuth;
let token: string;
let lastEvent: ApiEvent | undefined;

const json = (status: number, body: unknown): ApiResult => ({
  statusCode: status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const routes: LocalRoute[] = [
  {
    method: 'GET',
    path: '/things/{id}',
    handler: async (event) => {
      lastEvent = event;
      return json(200, { id: event.pathParameters?.id });
    },
  },
  { method: 'DELETE', path: '/things/{id}', handler: async () => json(404, { status: 404, error: 'File not found' }) },
  { method: 'POST', path: '/things', handler: async (event) => json(201, { length: (event.body ?? '').length }) },
  {
    method: 'GET',
    path: '/slow',
    handler: () => new Promise((resolve) => setTimeout(() => resolve(json(200, { late: true })), timeoutMs * 3)),
  },
  {
    method: 'GET',
    path: '/throws',
    handler: async () => {
      throw new Error('boom');
    },
  },
  { method: 'GET', path: '/malformed', handler: async () => ({ statusCode: 'teapot' }) as unknown as ApiResult },
  { method: 'GET', path: '/huge', handler: async () => json(200, { padding: 'x'.repeat(6 * 1024 * 1024) }) },
  { method: 'GET', path: '/plain-object', handler: async () => ({ hello: 'world' }) as unknown as ApiResult },
  // Listed after GET /things/{id}, which matches its path too.
  { method: 'GET', path: '/things/special', handler: async () => json(200, { special: true }) },
  {
    method: 'GET',
    path: '/pictures/{id}',
    cookie: true,
    handler: async (event) => {
      lastEvent = event;
      return json(200, { id: event.pathParameters?.id });
    },
  },
];

beforeAll(async () => {
  auth = await createLocalAuth();
  token = await auth.sign({ org: 'org-a', user: 'alice' });
  api = await startLocalApi({ routes, auth, integrationTimeoutMs: timeoutMs, corsOrigins: ['https://app.example.com'] });
});

afterAll(async () => {
  await api?.stop();
});

async function call(method: string, path: string, init: { token?: string; body?: string | Buffer; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${api.url}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('routing', () => {
  it('routes a path of literal segments before a path with a variable that matches it too, whatever their order', async () => {
    // Act
    const [literal, variable] = await Promise.all([call('GET', '/things/special', { token }), call('GET', '/things/other', { token })]);

    // Assess
    expect([literal.body, variable.body]).toEqual([{ special: true }, { id: 'other' }]);
  });
});

describe('answers API Gateway gives by itself', () => {
  it.each([
    ['an unknown path', 'GET', '/nowhere'],
    ['a known path with a method that has no route', 'POST', '/things/1'],
    ['a known path with PUT', 'PUT', '/things'],
    ['a path with a trailing slash', 'GET', '/things/1/'],
  ])('answers 404 {"message":"Not Found"} to %s, with no Allow header', async (_name, method, path) => {
    // Act
    const response = await call(method, path, { token });

    // Assess
    expect(response.status).toBe(404);
    expect(response.text).toBe('{"message":"Not Found"}');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('allow')).toBeNull();
    expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{14,}=*$/);
  });

  it('answers 404 before looking at the token, as routing comes before the authorizer', async () => {
    // Act
    const response = await call('GET', '/nowhere');

    // Assess
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Not Found' });
  });

  it('answers 401 {"message":"Unauthorized"} without a www-authenticate header when no token is sent', async () => {
    // Act
    const response = await call('GET', '/things/1');

    // Assess
    expect(response.status).toBe(401);
    expect(response.text).toBe('{"message":"Unauthorized"}');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  it.each([
    ['a garbage token', async () => 'not-a-jwt'],
    ['an expired token', async () => auth.sign({ org: 'org-a', user: 'alice' }, -60)],
    ['a token of another signing key', async () => (await createLocalAuth()).sign({ org: 'org-a', user: 'alice' })],
  ])('answers 401 {"message":"Unauthorized"} to %s, saying invalid_token in www-authenticate', async (_name, tokenOf) => {
    // Act
    const response = await call('GET', '/things/1', { token: await tokenOf() });

    // Assess
    expect(response.status).toBe(401);
    expect(response.body).toEqual({ message: 'Unauthorized' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer scope="" error="invalid_token" error_description="[^"]+"$/);
  });

  it('answers 413 {"message":"Request Entity Too Large"} to a body over 10 MB without calling the handler', async () => {
    // Act
    const response = await call('POST', '/things', { token, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) });

    // Assess
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ message: 'Request Entity Too Large' });
  });

  it('passes a body of exactly 10 MB to the handler', async () => {
    // Act
    const response = await call('POST', '/things', { token, body: Buffer.alloc(10 * 1024 * 1024, 0x61) });

    // Assess
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ length: 10 * 1024 * 1024 });
  });

  it('answers 503 {"message":"Service Unavailable"} when the handler outlasts the integration timeout', async () => {
    // Act
    const started = Date.now();
    const response = await call('GET', '/slow', { token });

    // Assess
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ message: 'Service Unavailable' });
    expect(Date.now() - started).toBeLessThan(timeoutMs * 3);
  });

  it.each([
    ['throws', '/throws'],
    ['returns a status that is not a number', '/malformed'],
    ['returns more than the 6 MB a Lambda response may carry', '/huge'],
  ])('answers 500 {"message":"Internal Server Error"} when the handler %s, showing nothing of it', async (_name, path) => {
    // Prepare
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    const response = await call('GET', path, { token });

    // Assess
    const logCalls = logged.mock.calls.length;
    logged.mockRestore();
    expect(response.status).toBe(500);
    expect(response.text).toBe('{"message":"Internal Server Error"}');
    expect(logCalls).toBe(1);
  });
});

describe('answers of the handlers', () => {
  it('passes a handler’s {status, error} answer through unchanged', async () => {
    // Act
    const response = await call('DELETE', '/things/1', { token });

    // Assess
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ status: 404, error: 'File not found' });
  });

  it('gives the handler the request id it sends back in apigw-requestid, and the verified claims', async () => {
    // Act
    const response = await call('GET', '/things/42', { token });

    // Assess
    expect(response.body).toEqual({ id: '42' });
    expect(lastEvent?.requestContext.requestId).toBe(response.headers.get('apigw-requestid'));
    expect(lastEvent?.requestContext.authorizer.jwt.claims).toMatchObject({ org_id: 'org-a', sub: 'alice' });
  });

  it('sends an object without statusCode as a 200 JSON body, as payload format 2.0 does', async () => {
    // Act
    const response = await call('GET', '/plain-object', { token });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({ hello: 'world' });
  });
});

describe('CORS as the HTTP API’s CORS configuration answers it', () => {
  const origin = 'https://app.example.com';

  it('answers a preflight itself with 204 and the configured headers, without a token or a route', async () => {
    // Act
    const response = await call('OPTIONS', '/things/1', {
      headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
    });

    // Assess
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET,POST,PATCH,DELETE',
      'access-control-allow-headers': 'authorization,content-type,if-match',
      'access-control-max-age': '3600',
      // A listed origin may send credentials (the session cookie), as the stack allows it.
      'access-control-allow-credentials': 'true',
    });
  });

  it('answers a preflight from an origin it does not allow without any CORS header', async () => {
    // Act
    const response = await call('OPTIONS', '/things/1', {
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET' },
    });

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('routes an OPTIONS request that is not a preflight, which finds no route', async () => {
    // Act
    const response = await call('OPTIONS', '/things/1', { token });

    // Assess
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Not Found' });
  });

  it('names the allowed origin on the handler’s answers and on its own refusals', async () => {
    // Act
    const ok = await call('GET', '/things/1', { token, headers: { origin } });
    const refused = await call('GET', '/things/1', { headers: { origin } });

    // Assess
    expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(origin);
  });
});

describe('the session cookie', () => {
  it('reaches a cookie route, whose event carries the claims where the session authorizer puts them', async () => {
    // Act
    const response = await call('GET', '/pictures/p-1', { headers: { cookie: `theme=dark; token=${token}` } });

    // Assess
    expect(response.status).toBe(200);
    expect(lastEvent?.requestContext.authorizer).toEqual({ lambda: expect.objectContaining({ org_id: 'org-a', sub: 'alice' }) });
    // Payload 2.0 lists cookies apart from the headers.
    expect(lastEvent?.cookies).toEqual(['theme=dark', `token=${token}`]);
    expect(lastEvent?.headers).not.toHaveProperty('cookie');
  });

  it('lets a bearer header through a cookie route too, in the same place', async () => {
    // Act
    const response = await call('GET', '/pictures/p-2', { token });

    // Assess
    expect(response.status).toBe(200);
    expect(lastEvent?.requestContext.authorizer).toEqual({ lambda: expect.objectContaining({ org_id: 'org-a' }) });
  });

  it('refuses a cookie route as the session authorizer does, 403 {"message":"Forbidden"}: no token, a forged one, two, or a bad header before a good cookie', async () => {
    // Prepare
    const forged = `${token.slice(0, -4)}AAAA`;

    // Act
    const responses = await Promise.all([
      call('GET', '/pictures/p-1'),
      call('GET', '/pictures/p-1', { headers: { cookie: `token=${forged}` } }),
      call('GET', '/pictures/p-1', { headers: { cookie: `token=${token}; token=${token}` } }),
      call('GET', '/pictures/p-1', { headers: { cookie: `token=${token}`, authorization: 'Bearer nope' } }),
      call('GET', '/pictures/p-1', { headers: { cookie: 'token=%00%ff;;;=' } }),
    ]);

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ message: 'Forbidden' });
    }
  });

  it('is ignored on every other route: a cookie alone is a 401 as no token is', async () => {
    // Act
    const read = await call('GET', '/things/t-1', { headers: { cookie: `token=${token}` } });
    const write = await call('DELETE', '/things/t-1', { headers: { cookie: `token=${token}` } });

    // Assess
    expect(read.status).toBe(401);
    expect(write.status).toBe(401);
  });

  it('may be sent by listed origins: their answers allow credentials', async () => {
    // Act
    const response = await call('GET', '/pictures/p-1', { headers: { cookie: `token=${token}`, origin: 'https://app.example.com' } });

    // Assess
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
  });
});

describe('readResult', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'ok'],
    ['a fractional status', { statusCode: 200.5 }],
    ['a status out of range', { statusCode: 700 }],
    ['a body that is not a string', { statusCode: 200, body: { a: 1 } }],
    ['a header that is an object', { statusCode: 200, headers: { 'x-a': { b: 1 } } }],
    ['isBase64Encoded that is not a boolean', { statusCode: 200, isBase64Encoded: 'yes' }],
  ])('finds %s malformed', (_name, result) => {
    // Act
    const read = readResult(result);

    // Assess
    expect(read).toBeUndefined();
  });

  it('reads a structured result as it is', () => {
    // Prepare
    const result = { statusCode: 204, headers: { 'x-count': 3 }, body: '' };

    // Act
    const read = readResult(result);

    // Assess
    expect(read).toBe(result);
  });
});
