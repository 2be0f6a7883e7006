import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { hasAcceptedAudience } from '../http/session';

export interface TokenVerifier {
  /** The verified claims, or undefined for a forged, expired, foreign or malformed token. */
  verify(token: string): Promise<JWTPayload | undefined>;
}

export interface OidcVerifierOptions {
  /** The issuer (`iss`), an URL serving `/.well-known/openid-configuration`. */
  issuer: string;
  /** Accepted audiences: `aud`, or `client_id` for a token without `aud`. */
  audiences: readonly string[];
  /** How long the discovery and key requests may take (default 5 s). */
  timeoutMs?: number;
}

/**
 * Verifies tokens as API Gateway's JWT authorizer does: the issuer's keys found through OIDC
 * discovery (`jwks_uri`), RS256 only (the JWT authorizer takes RSA keys only), the issuer,
 * the expiry (a token without `exp` is refused) and `nbf`, and the audience rule of
 * `hasAcceptedAudience`. The key set is fetched once per execution environment and again
 * when a token names a key it does not hold (a rotation); a failed discovery is retried
 * with the next token.
 */
export function createOidcVerifier(options: OidcVerifierOptions): TokenVerifier {
  const timeoutMs = options.timeoutMs ?? 5000;
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  const discover = async () => {
    const url = `${options.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!response.ok) throw new Error(`OIDC discovery at ${url} answered ${response.status}`);
    const document = (await response.json()) as { jwks_uri?: unknown };
    if (typeof document.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${url} names no jwks_uri`);
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: timeoutMs });
  };

  return {
    async verify(token) {
      const current = (keys ??= discover());
      let jwks: Awaited<typeof current>;
      try {
        jwks = await current;
      } catch (error) {
        if (keys === current) keys = undefined;
        throw error;
      }
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: options.issuer,
          algorithms: ['RS256'],
          requiredClaims: ['exp'],
        });
        return hasAcceptedAudience(payload, options.audiences) ? payload : undefined;
      } catch (error) {
        if (isVerdictOnToken(error)) return undefined;
        // The key set could not be fetched or read: not the token's fault, and no verdict on it.
        throw error;
      }
    },
  };
}

/** jose's failures of fetching or reading the key set; every other jose error judges the token. */
const keySetFailures = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

function isVerdictOnToken(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_') && !keySetFailures.has(code);
}
