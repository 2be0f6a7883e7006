import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import { rolesClaim, tenantClaim } from '../lambdas/config';

/** The issuer and audience of local tokens; on AWS they come from the stack's context. */
export const localIssuer = 'urn:file-service:local';
export const localAudience = 'file-service';

/** Verified claims: `sub`, and the org under the tenant claim (TENANT_CLAIM, default `org_id`). */
export interface TokenClaims extends JWTPayload {
  sub: string;
}

/**
 * Signs and verifies tokens like the identity provider and the HTTP API's JWT authorizer
 * would on AWS: RS256, issuer, audience and expiry checked.
 */
export interface LocalAuth {
  sign(claims: { org: string; user: string; roles?: string[] }, ttlSeconds?: number): Promise<string>;
  /**
   * Signs exactly the given claims, adding only issuer, audience, issued-at and expiry: for
   * tests of tokens an identity provider may issue without the claims the service needs.
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
    async signClaims(claims, ttlSeconds = 3600) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: algorithm })
        .setIssuer(localIssuer)
        .setAudience(localAudience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, publicKey, {
          issuer: localIssuer,
          audience: localAudience,
          algorithms: [algorithm],
        });
        return payload as TokenClaims;
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
