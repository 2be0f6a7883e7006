import { createClient } from '@epilot/file-client';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

/**
 * Browser sessions over real HTTP: getSession turns the bearer token into the `token`
 * cookie, the cookie reaches the routes that take it (downloadFile) and nothing else, and
 * hostile cookies are refused by the session authorizer, never with a 500.
 */

const appOrigin = 'https://app.example.com';
const context = useLocalStack({ corsOrigins: [appOrigin] });

/** A request that carries only the given Cookie header, as a browser sends it. */
async function withCookie(method: string, path: string, cookie: string | undefined, body?: unknown) {
  return new Api(context.stack.url).request(method, path, body, { headers: cookie === undefined ? {} : { cookie } });
}

async function sessionCookieOf(token: string): Promise<string> {
  const session = await new Api(context.stack.url, token).get('/v1/files/session');
  expect(session.status).toBe(200);
  const setCookie = session.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0] ?? '';
}

async function ownFile(name: string): Promise<Entity> {
  return uploadFile(context.api, { filename: name, mimeType: 'text/plain', bytes: Buffer.from(`bytes of ${name}`) });
}

describe('getSession', () => {
  it('sets the bearer token as the token cookie, HttpOnly, Secure, SameSite=None, for as long as the token lives', async () => {
    // Prepare
    const token = await context.stack.auth.sign({ org: 'org-a', user: 'alice' }, 300);

    // Act
    const response = await new Api(context.stack.url, token).get('/v1/files/session');

    // Assess
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^token=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; HttpOnly; Secure; SameSite=None; Max-Age=\d+$/);
    expect(cookie.split(';')[0]).toBe(`token=${token}`);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)?.[1])).toBeGreaterThan(290);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)?.[1])).toBeLessThanOrEqual(300);
  });

  it('needs a bearer token: the session cookie alone cannot renew itself, and no token is a 401', async () => {
    // Prepare
    const cookie = await sessionCookieOf(await context.stack.auth.sign({ org: 'org-a', user: 'alice' }));

    // Act
    const byCookie = await withCookie('GET', '/v1/files/session', cookie);
    const nothing = await withCookie('GET', '/v1/files/session', undefined);

    // Assess
    expect(byCookie.status).toBe(401);
    expect(byCookie.headers.get('set-cookie')).toBeNull();
    expect(nothing.status).toBe(401);
  });

  it('lets listed origins send credentials: the preflight and the answer allow them', async () => {
    // Act
    const preflight = await fetch(`${context.stack.url}/v1/files/session`, {
      method: 'OPTIONS',
      headers: { origin: appOrigin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    const stranger = await fetch(`${context.stack.url}/v1/files/session`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });

    // Assess
    expect(preflight.headers.get('access-control-allow-origin')).toBe(appOrigin);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    expect(stranger.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('epilot\'s client', () => {
  it('starts and ends a session with getSession and deleteSession', async () => {
    // Prepare
    const token = await context.stack.auth.sign({ org: 'org-a', user: 'alice' });
    const client = createClient();
    client.defaults.baseURL = context.stack.url;

    // Act
    const started = await client.getSession(null, undefined, { headers: { authorization: `Bearer ${token}` } });
    const ended = await client.deleteSession();

    // Assess
    expect(started.status).toBe(200);
    expect(started.headers['set-cookie']).toEqual([expect.stringMatching(new RegExp(`^token=${token.replace(/\./g, '\\.')}; Path=/; HttpOnly`))]);
    expect(ended.status).toBe(200);
    expect(ended.headers['set-cookie']).toEqual([expect.stringMatching(/^token=; .*Max-Age=0$/)]);
  });
});

describe('the session cookie', () => {
  it('reaches downloadFile in place of the bearer token, and the URL it gets serves the bytes', async () => {
    // Prepare
    const file = await ownFile('cookie.txt');
    const cookie = await sessionCookieOf(await context.stack.auth.sign({ org: 'org-a', user: 'alice' }));

    // Act
    const response = await withCookie('GET', `/v1/files/${file._id}/download`, `theme=dark; ${cookie}`);

    // Assess
    expect(response.status).toBe(200);
    const { download_url } = response.body as { download_url: string };
    expect(await (await fetch(download_url)).text()).toBe('bytes of cookie.txt');
  });

  it('reaches previewFile: the thumbnail, which varies by the cookie and is asked for again each time', async () => {
    // Prepare
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer();
    const file = await uploadFile(context.api, { filename: 'blue.png', mimeType: 'image/png', bytes: png });
    const cookie = await sessionCookieOf(await context.stack.auth.sign({ org: 'org-a', user: 'alice' }));

    // Act
    const response = await fetch(`${context.stack.url}/v1/files/${file._id}/preview?w=50`, { headers: { cookie } });
    const again = await fetch(`${context.stack.url}/v1/files/${file._id}/preview?w=50`, {
      headers: { cookie, 'if-none-match': response.headers.get('etag') ?? '' },
    });
    const stranger = await fetch(`${context.stack.url}/v1/files/${file._id}/preview?w=50`, {
      headers: { cookie: await sessionCookieOf(await context.stack.auth.sign({ org: 'org-b', user: 'bob' })) },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/(png|jpeg)$/);
    expect((await sharp(Buffer.from(await response.arrayBuffer())).metadata()).width).toBe(50);
    expect(response.headers.get('cache-control')).toBe('private, no-cache');
    expect(response.headers.get('vary')).toMatch(/\bCookie\b/);
    expect(again.status).toBe(304);
    expect(stranger.status).toBe(404);
  });

  it('of another org finds no file of this org: 404, as the bearer token does', async () => {
    // Prepare
    const file = await ownFile('org-a-only.txt');
    const cookie = await sessionCookieOf(await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));

    // Act
    const response = await withCookie('GET', `/v1/files/${file._id}/download`, cookie);

    // Assess
    expectRefusal(response, 404);
  });

  it('is ignored by every other route: a write or another read with the cookie alone is a 401, and nothing changes', async () => {
    // Prepare
    const file = await ownFile('keep.txt');
    const cookie = await sessionCookieOf(await context.stack.auth.sign({ org: 'org-a', user: 'alice' }));
    const before = await context.storage.snapshot();

    // Act
    const responses = await Promise.all([
      withCookie('DELETE', `/v1/files/${file._id}`, cookie),
      withCookie('PATCH', `/v2/files/${file._id}`, cookie, { filename: 'renamed.txt' }),
      withCookie('POST', '/v2/files/upload', cookie, { filename: 'new.txt', mime_type: 'text/plain' }),
      withCookie('POST', `/v1/files/${file._id}/public/links`, cookie),
      withCookie('GET', `/v2/files/${file._id}`, cookie),
      withCookie('POST', '/v1/files:downloadFiles', cookie, [{ id: file._id }]),
    ]);

    // Assess
    for (const response of responses) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ message: 'Unauthorized' });
    }
    expect(await context.storage.snapshot()).toEqual(before);
    expect((await context.api.get<Entity>(`/v2/files/${file._id}`)).body.filename).toBe('keep.txt');
  });

  it('is cleared by deleteSession, without a token', async () => {
    // Act
    const response = await withCookie('DELETE', '/v1/files/session', undefined);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBe('token=; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=0');
  });
});

describe('hostile session cookies', () => {
  it('are refused by the session authorizer with 403 {"message":"Forbidden"}, never a 500', async () => {
    // Prepare
    const file = await ownFile('target.txt');
    const valid = await context.stack.auth.sign({ org: 'org-a', user: 'alice' });
    const expired = await context.stack.auth.sign({ org: 'org-a', user: 'alice' }, -60);
    const [header, payload] = valid.split('.');
    const cookies = {
      'a malformed value': 'token=%%%not a jwt',
      'an empty value': 'token=',
      'two token cookies': `token=${valid}; token=${valid}`,
      'a huge value (12 KB)': `token=${'a'.repeat(6000)}.${'b'.repeat(6000)}.c`,
      'an expired token': `token=${expired}`,
      'a token with its signature cut': `token=${header}.${payload}.`,
      'a cookie named almost token': `tokens=${valid}; xtoken=${valid}`,
      'stray semicolons and a bare name': 'token=a.b;;;=;token',
    };

    // Act
    const responses = await Promise.all(Object.values(cookies).map((cookie) => withCookie('GET', `/v1/files/${file._id}/download`, cookie)));

    // Assess
    Object.keys(cookies).forEach((name, index) => {
      expect({ name, status: responses[index]?.status, body: responses[index]?.body }).toEqual({ name, status: 403, body: { message: 'Forbidden' } });
    });
  });

  it('do not override a bearer header: a bad header with a good cookie is refused, a good header with a bad cookie passes', async () => {
    // Prepare
    const file = await ownFile('header-first.txt');
    const valid = await context.stack.auth.sign({ org: 'org-a', user: 'alice' });

    // Act
    const badHeader = await new Api(context.stack.url, 'not-a-jwt').request('GET', `/v1/files/${file._id}/download`, undefined, {
      headers: { cookie: `token=${valid}` },
    });
    const goodHeader = await new Api(context.stack.url, valid).request('GET', `/v1/files/${file._id}/download`, undefined, {
      headers: { cookie: 'token=garbage' },
    });

    // Assess
    expect(badHeader.status).toBe(403);
    expect(goodHeader.status).toBe(200);
  });
});
