import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { rolesClaim, serviceScope, tenantClaim } from '../lambdas/config';
import { hasAcceptedAudience } from '../lambdas/http/session';

/** The issuer and audience of local tokens; on AWS they come from the stack's context. */
export const localIssuer = 'urn:file-service:local';
export const localAudience = 'file-service';
/** The app client of local service tokens, accepted as an audience like a backend's client on AWS. */
export const localServiceClient = 'demo-service';

/**
 * What the local API accepts as `aud` (or, without one, as `client_id`): the local audience,
 * the local service client, and the comma-separated LOCAL_JWT_AUDIENCE, as the stack's
 * `jwtAudience` lists the app clients of users and backends on AWS.
 */
export function localAudiences(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.LOCAL_JWT_AUDIENCE ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  return [...new Set([localAudience, localServiceClient, ...extra])];
}

/** Verified claims: `sub`, and the org under the tenant claim (TENANT_CLAIM, default `org_id`). */
export interface TokenClaims extends JWTPayload {
  sub: string;
}

/**
 * Signs and verifies tokens like the identity provider and the HTTP API's JWT authorizer
 * would on AWS: RS256, issuer, audience and expiry checked. As API Gateway does, a token's
 * `client_id` stands in for its audience only when it has no `aud` at all: a token with an
 * `aud` that is not accepted is refused whatever its `client_id`.
 */
export interface LocalAuth {
  sign(claims: { org: string; user: string; roles?: string[] }, ttlSeconds?: number): Promise<string>;
  /**
   * A backend's client-credentials token, as Cognito issues one: no `aud`, the app client in
   * `client_id` and `sub`, the org claim (on Cognito, from a pre-token-generation trigger) and
   * a `scope` listing SERVICE_SCOPE.
   */
  signService(claims: { org: string; client?: string }, ttlSeconds?: number): Promise<string>;
  /**
   * Signs exactly the given claims, adding only issuer, issued-at, expiry and, unless the
   * claims have an `aud` key of their own (`aud: undefined` for a token without one), the
   * local audience: for tests of tokens an identity provider may issue without the claims
   * the service needs.
   */
  signClaims(claims: JWTPayload, ttlSeconds?: number): Promise<string>;
  /** The verified claims, or undefined for a missing, forged, expired or foreign token. */
  verify(token: string): Promise<TokenClaims | undefined>;
}

const algorithm = 'RS256';
const keyFile = 'jwt-key.json';

/** Keys live in `dir` so tokens printed by `npm run token` stay valid across restarts. */
export async function createLocalAuth(dir?: string): Promise<LocalAuth> {
  const { privateKey, publicKey } = await loadOrCreateKeys(dir);
  return {
    async sign({ org, user, roles }, ttlSeconds = 3600) {
      // The claims the handlers read the org and the roles from, as the identity provider would set them.
      return new SignJWT({ [tenantClaim()]: org, ...(roles ? { [rolesClaim()]: roles } : {}) })
        .setProtectedHeader({ alg: algorithm })
        .setSubject(user)
        .setIssuer(localIssuer)
        .setAudience(localAudience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey);
    },
    async signService({ org, client = localServiceClient }, ttlSeconds = 3600) {
      return new SignJWT({ [tenantClaim()]: org, client_id: client, scope: serviceScope(), token_use: 'access' })
        .setProtectedHeader({ alg: algorithm })
        .setSubject(client)
        .setIssuer(localIssuer)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey);
    },
    async signClaims(claims, ttlSeconds = 3600) {
      const token = new SignJWT(claims)
        .setProtectedHeader({ alg: algorithm })
        .setIssuer(localIssuer)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`);
      return ('aud' in claims ? token : token.setAudience(localAudience)).sign(privateKey);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, publicKey, { issuer: localIssuer, algorithms: [algorithm] });
        return hasAcceptedAudience(payload, localAudiences()) ? (payload as TokenClaims) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

async function loadOrCreateKeys(dir: string | undefined): Promise<KeyPair> {
  if (dir) {
    try {
      const jwk = JSON.parse(await readFile(join(dir, keyFile), 'utf8')) as JWK;
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
      return {
        privateKey: (await importJWK(jwk, algorithm)) as KeyPair['privateKey'],
        publicKey: (await importJWK(publicJwk, algorithm)) as KeyPair['publicKey'],
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const pair = await generateKeyPair(algorithm, { extractable: true });
  if (dir) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, keyFile), JSON.stringify(await exportJWK(pair.privateKey)), { mode: 0o600 });
  }
  return pair;
}
