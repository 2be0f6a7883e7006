import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcVerifier } from '../../../lambdas/adapters/oidc-verifier';
import { createLogger } from '../../../lambdas/http/logger';
import { sessionAuthorizer, type SessionAuthorizer } from '../../../lambdas/handlers/authorize-session';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

const audiences = ['file-web', 'billing-client'];
let issuer: string;
let server: Server;
let keys: KeyPair;
let stranger: KeyPair;
/** Requests the identity provider served, by path. */
const served: string[] = [];
let jwksAvailable = true;
let authorize: SessionAuthorizer;
const logged: string[] = [];

/** A real OIDC issuer over HTTP: discovery and a JSON Web Key Set with one RS256 key. */
beforeAll(async () => {
  [keys, stranger] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  server = createServer((request, response) => {
    served.push(request.url ?? '');
    if (request.url === '/.well-known/openid-configuration') {
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
    }
    if (request.url === '/jwks.json' && jwksAvailable) {
      response.writeHead(200, { 'content-type': 'application/json' });
      return void response.end(JSON.stringify({ keys: [jwk] }));
    }
    response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  authorize = sessionAuthorizer(createOidcVerifier({ issuer, audiences }), createLogger((line) => logged.push(line)));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function token(
  claims: JWTPayload = {},
  options: { key?: KeyPair; issuer?: string; audience?: string | null; expiresIn?: string | number; kid?: string } = {},
): Promise<string> {
  const jwt = new SignJWT({ org_id: 'org-a', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'key-1' })
    .setSubject('alice')
    .setIssuer(options.issuer ?? issuer)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h');
  if (options.audience !== null) jwt.setAudience(options.audience ?? 'file-web');
  return jwt.sign((options.key ?? keys).privateKey);
}

function event(request: { authorization?: string; cookies?: string[] }): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-central-1:123456789012:api/$default/GET/v1/files/f-1/download',
    identitySource: [],
    routeKey: 'GET /v1/files/{id}/download',
    rawPath: '/v1/files/f-1/download',
    rawQueryString: '',
    cookies: request.cookies ?? [],
    headers: request.authorization ? { authorization: request.authorization } : {},
    requestContext: {} as APIGatewayRequestAuthorizerEventV2['requestContext'],
  };
}

describe('the session authorizer', () => {
  it('lets a valid bearer token in and hands its claims on as the JWT authorizer shapes them', async () => {
    // Prepare
    const bearer = await token({ roles: ['admin', 'editor'] });

    // Act
    const result = await authorize(event({ authorization: `Bearer ${bearer}` }));

    // Assess
    expect(result.isAuthorized).toBe(true);
    expect(result.context).toMatchObject({ org_id: 'org-a', sub: 'alice', aud: 'file-web', iss: issuer, roles: '[admin editor]' });
    expect(served).toContain('/.well-known/openid-configuration');
    expect(served).toContain('/jwks.json');
  });

  it('lets a valid token cookie in when no Authorization header is sent', async () => {
    // Prepare
    const cookie = await token();

    // Act
    const result = await authorize(event({ cookies: ['theme=dark', `token=${cookie}`] }));

    // Assess
    expect(result).toMatchObject({ isAuthorized: true, context: { org_id: 'org-a', sub: 'alice' } });
  });

  it('accepts a token without aud by its client_id, as API Gateway does, and refuses an unknown client', async () => {
    // Prepare
    const known = await token({ client_id: 'billing-client' }, { audience: null });
    const unknown = await token({ client_id: 'someone-else' }, { audience: null });

    // Act
    const accepted = await authorize(event({ cookies: [`token=${known}`] }));
    const refused = await authorize(event({ cookies: [`token=${unknown}`] }));

    // Assess
    expect(accepted.isAuthorized).toBe(true);
    expect(refused.isAuthorized).toBe(false);
  });

  it('refuses an expired token, from the header and from the cookie', async () => {
    // Prepare
    const expired = await token({}, { expiresIn: Math.floor(Date.now() / 1000) - 60 });

    // Act
    const fromHeader = await authorize(event({ authorization: `Bearer ${expired}` }));
    const fromCookie = await authorize(event({ cookies: [`token=${expired}`] }));

    // Assess
    expect(fromHeader).toEqual({ isAuthorized: false, context: {} });
    expect(fromCookie).toEqual({ isAuthorized: false, context: {} });
  });

  it('refuses a token of another issuer and a token for another audience', async () => {
    // Prepare
    const foreignIssuer = await token({}, { issuer: 'https://other.example.com' });
    const foreignAudience = await token({}, { audience: 'other-api' });

    // Act
    const results = await Promise.all([
      authorize(event({ cookies: [`token=${foreignIssuer}`] })),
      authorize(event({ authorization: `Bearer ${foreignAudience}` })),
    ]);

    // Assess
    expect(results.map((result) => result.isAuthorized)).toEqual([false, false]);
  });

  it('refuses a forged token: signed by another key under the issuer key id, or with its payload altered', async () => {
    // Prepare
    const forged = await token({}, { key: stranger });
    const [header, , signature] = (await token()).split('.');
    const altered = `${header}.${Buffer.from(JSON.stringify({ org_id: 'org-b', sub: 'alice', iss: issuer, aud: 'file-web', exp: 9999999999 })).toString('base64url')}.${signature}`;
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ org_id: 'org-a', iss: issuer, aud: 'file-web', exp: 9999999999 })).toString('base64url')}.x`;

    // Act
    const results = await Promise.all([forged, altered, unsigned].map((value) => authorize(event({ cookies: [`token=${value}`] }))));

    // Assess
    expect(results.map((result) => result.isAuthorized)).toEqual([false, false, false]);
  });

  it('refuses a request with neither header nor cookie, and one with only other cookies', async () => {
    // Act
    const nothing = await authorize(event({}));
    const otherCookies = await authorize(event({ cookies: ['session=abc', 'tokens=x.y.z'] }));

    // Assess
    expect(nothing.isAuthorized).toBe(false);
    expect(otherCookies.isAuthorized).toBe(false);
  });

  it('does not fall back on the cookie when the Authorization header is sent but not valid', async () => {
    // Prepare
    const valid = await token();

    // Act
    const notBearer = await authorize(event({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}`, cookies: [`token=${valid}`] }));
    const badBearer = await authorize(event({ authorization: 'Bearer not-a-token', cookies: [`token=${valid}`] }));

    // Assess
    expect(notBearer.isAuthorized).toBe(false);
    expect(badBearer.isAuthorized).toBe(false);
  });

  it('refuses two token cookies, a malformed one and a huge one, without asking the issuer', async () => {
    // Prepare
    const valid = await token();
    const before = served.length;

    // Act
    const results = await Promise.all([
      authorize(event({ cookies: [`token=${valid}`, `token=${valid}`] })),
      authorize(event({ cookies: ['token=%7B%22alg%22%7D'] })),
      authorize(event({ cookies: [`token=${'a'.repeat(9000)}.${'b'.repeat(9000)}.c`] })),
      authorize(event({ cookies: ['token='] })),
    ]);

    // Assess
    expect(results.map((result) => result.isAuthorized)).toEqual([false, false, false, false]);
    expect(served.length).toBe(before);
  });

  it('refuses, and logs why, while the issuer keys cannot be fetched, then recovers', async () => {
    // Prepare: a verifier that has not fetched the keys yet, and an issuer whose key set is down.
    const fresh = sessionAuthorizer(createOidcVerifier({ issuer, audiences, timeoutMs: 1000 }), createLogger((line) => logged.push(line)));
    const valid = await token();
    jwksAvailable = false;

    // Act
    const during = await fresh(event({ cookies: [`token=${valid}`] }));
    jwksAvailable = true;
    const after = await fresh(event({ cookies: [`token=${valid}`] }));

    // Assess
    expect(during.isAuthorized).toBe(false);
    expect(logged.some((line) => line.includes('issuer keys could not be fetched'))).toBe(true);
    expect(logged.join('\n')).not.toContain(valid);
    expect(after.isAuthorized).toBe(true);
  });
});
