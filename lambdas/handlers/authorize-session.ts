import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { createOidcVerifier } from '../adapters/oidc-verifier';
import type { TokenVerifier } from '../adapters/oidc-verifier';
import { createLogger } from '../http/logger';
import type { Logger } from '../http/logger';
import { gatewayClaims, sessionToken } from '../http/session';

export type SessionAuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>;
export type SessionAuthorizer = (event: APIGatewayRequestAuthorizerEventV2) => Promise<SessionAuthorizerResult>;

/**
 * The Lambda REQUEST authorizer (simple responses) of the routes that also take the session
 * cookie (operations marked `cookie`): API Gateway's JWT authorizer reads a header or a
 * query parameter only. It verifies the bearer token when an Authorization header is sent,
 * else the `token` cookie, exactly as the JWT authorizer verifies (see createOidcVerifier),
 * and hands the claims on as its context, in the JWT authorizer's shape; handlers find them
 * under `requestContext.authorizer.lambda`. A refusal is API Gateway's 403 Forbidden. A key
 * set that cannot be fetched refuses too (logged): the authorizer fails closed.
 */
export function sessionAuthorizer(verifier: TokenVerifier, logger: Logger): SessionAuthorizer {
  return async (event) => {
    const token = sessionToken(headerOf(event, 'authorization'), event.cookies);
    if (!token) return refused;
    try {
      const claims = await verifier.verify(token);
      return claims ? { isAuthorized: true, context: gatewayClaims(claims) } : refused;
    } catch (error) {
      logger.error('the issuer keys could not be fetched; the request is refused', {
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        route: event.routeKey,
      });
      return refused;
    }
  };
}

const refused: SessionAuthorizerResult = { isAuthorized: false, context: {} };

function headerOf(event: APIGatewayRequestAuthorizerEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/** JWT_ISSUER and JWT_AUDIENCE (comma-separated), as the stack passes its `jwtIssuer` and `jwtAudience`. */
function verifierFromEnvironment(env: NodeJS.ProcessEnv = process.env): TokenVerifier {
  const issuer = env.JWT_ISSUER;
  const audiences = (env.JWT_AUDIENCE ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (!issuer || audiences.length === 0) throw new Error('JWT_ISSUER and JWT_AUDIENCE must be set');
  return createOidcVerifier({ issuer, audiences });
}

let verifier: TokenVerifier | undefined;
let logger: Logger | undefined;

export const handler: SessionAuthorizer = (event) => sessionAuthorizer((verifier ??= verifierFromEnvironment()), (logger ??= createLogger()))(event);
