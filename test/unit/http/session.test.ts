import { Metrics } from '@aws-lambda-powertools/metrics';
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { handler as deleteSession } from '../../../lambdas/handlers/delete-session';
import { handler as getSession } from '../../../lambdas/handlers/get-session';
import { httpHandler } from '../../../lambdas/http/handler';
import { createLogger } from '../../../lambdas/http/logger';
import { maxSessionTokenChars, sessionToken } from '../../../lambdas/http/session';
import { apiEvent, bodyOf } from '../handlers/events';
import type { ApiEvent } from '../../../lambdas/http/types';

const jws = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

describe('the token of a cookie route', () => {
  it('is the bearer token when an Authorization header is sent, whatever the cookie says', () => {
    // Act
    const token = sessionToken(`Bearer ${jws}`, ['token=a.b.c']);

    // Assess
    expect(token).toBe(jws);
  });

  it('is the token cookie without a header, found among other cookies, in a list or a raw Cookie header', () => {
    // Act
    const fromList = sessionToken(undefined, ['theme=dark', `token=${jws}`]);
    const fromHeader = sessionToken(undefined, [`theme=dark; token=${jws}; lang=de`]);

    // Assess
    expect(fromList).toBe(jws);
    expect(fromHeader).toBe(jws);
  });

  it('is none for a header that is not a bearer token, even with a valid cookie', () => {
    // Act
    const basic = sessionToken('Basic YTpi', [`token=${jws}`]);
    const empty = sessionToken('', [`token=${jws}`]);

    // Assess
    expect(basic).toBeUndefined();
    expect(empty).toBeUndefined();
  });

  it('is none for two token cookies, a value that is not a JWS, an empty one and one above the limit', () => {
    // Prepare
    const long = `${'a'.repeat(maxSessionTokenChars)}.b.c`;

    // Act
    const results = [
      sessionToken(undefined, [`token=${jws}`, `token=${jws}`]),
      sessionToken(undefined, ['token="quoted.value.here"']),
      sessionToken(undefined, ['token=a.b']),
      sessionToken(undefined, ['token=']),
      sessionToken(undefined, ['token']),
      sessionToken(undefined, [`token=${long}`]),
      sessionToken(undefined, ['tokens=a.b.c', 'xtoken=a.b.c']),
    ];

    // Assess
    expect(results).toEqual(results.map(() => undefined));
  });
});

describe('getSession', () => {
  it('sets the verified bearer token as an HttpOnly, Secure, SameSite=None cookie that lives as long as the token', async () => {
    // Prepare
    const { privateKey } = await generateKeyPair('RS256');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const bearer = await new SignJWT({ org_id: 'org-a' }).setProtectedHeader({ alg: 'RS256' }).setSubject('alice').setExpirationTime(exp).sign(privateKey);
    const event = apiEvent({ routeKey: 'GET /v1/files/session', claims: { org_id: 'org-a', sub: 'alice', exp } });
    event.headers.authorization = `Bearer ${bearer}`;

    // Act
    const result = await getSession(event);

    // Assess
    expect(result.statusCode).toBe(200);
    const cookie = String(result.headers?.['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^token=${bearer.replace(/\./g, '\\.')}; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=(\\d+)$`));
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(598);
    expect(maxAge).toBeLessThanOrEqual(600);
    expect(result.headers?.['cache-control']).toBe('no-store');
  });

  it('answers 401 and sets nothing without verified claims', async () => {
    // Act
    const result = await getSession(apiEvent({ routeKey: 'GET /v1/files/session', claims: null }));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(result.headers?.['set-cookie']).toBeUndefined();
  });
});

describe('deleteSession', () => {
  it('clears the cookie with Max-Age=0, without a token', async () => {
    // Act
    const result = await deleteSession(apiEvent({ routeKey: 'DELETE /v1/files/session', claims: null }));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['set-cookie']).toBe('token=; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=0');
  });
});

describe('the caller of a cookie route', () => {
  /** An event as the session (Lambda) authorizer hands it on: the claims as its context. */
  function lambdaAuthorized(context: Record<string, string>): ApiEvent {
    const event = apiEvent({ routeKey: 'GET /v1/files/{id}/download', claims: null });
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: context };
    return event;
  }
  const echo = httpHandler('echo', async (request) => ({ status: 200, body: request.caller }), createLogger(() => undefined, 'info'), new Metrics());

  it('comes from the session authorizer context with the same checks as from JWT claims', async () => {
    // Act
    const user = await echo(lambdaAuthorized({ org_id: 'org-a', sub: 'alice', roles: '[admin]' }));
    const noOrg = await echo(lambdaAuthorized({ sub: 'alice' }));
    const noSub = await echo(lambdaAuthorized({ org_id: 'org-a' }));

    // Assess
    expect(bodyOf(user)).toMatchObject({ org: 'org-a', userId: 'alice', admin: true });
    expect(noOrg.statusCode).toBe(403);
    expect(noSub.statusCode).toBe(403);
  });

  it('is refused with 401 when the authorizer context is empty or missing', async () => {
    // Prepare
    const missing = apiEvent({ routeKey: 'GET /v1/files/{id}/download', claims: null });
    const nullContext = lambdaAuthorized({});
    (nullContext.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: null };

    // Act
    const results = await Promise.all([echo(missing), echo(nullContext)]);

    // Assess
    expect(results.map((result) => result.statusCode)).toEqual([401, 401]);
  });
});

describe('the caching of an answer on a cookie route', () => {
  const cached = httpHandler(
    'cached',
    async () => ({ status: 200, body: { ok: true }, headers: { 'cache-control': 'private, max-age=300', vary: 'Accept' } }),
    createLogger(() => undefined, 'info'),
    new Metrics(),
  );
  const claims = { org_id: 'org-a', sub: 'alice' };

  it('varies by cookie and is asked for again each time when the cookie let it in', async () => {
    // Prepare
    const event = apiEvent({ routeKey: 'GET /v1/files/{id}/preview', claims: null });
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: claims };

    // Act
    const result = await cached(event);

    // Assess
    expect(result.headers).toMatchObject({ vary: 'Accept, Cookie', 'cache-control': 'private, no-cache' });
  });

  it('varies by cookie but keeps its lifetime when a bearer header let it in', async () => {
    // Prepare
    const event = apiEvent({ routeKey: 'GET /v1/files/{id}/preview', claims: null });
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: claims };
    event.headers.authorization = 'Bearer a.b.c';

    // Act
    const result = await cached(event);

    // Assess
    expect(result.headers).toMatchObject({ vary: 'Accept, Cookie', 'cache-control': 'private, max-age=300' });
  });

  it('is left as it is on a route of the JWT authorizer', async () => {
    // Act
    const result = await cached(apiEvent({ routeKey: 'GET /v2/files/{id}', claims }));

    // Assess
    expect(result.headers).toMatchObject({ vary: 'Accept', 'cache-control': 'private, max-age=300' });
  });
});
