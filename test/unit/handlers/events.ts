import type { ApiEvent } from '../../../lambdas/http/handler';

export interface EventOptions {
  /** Serialized as JSON unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  base64?: boolean;
  query?: Record<string, string>;
  path?: Record<string, string>;
  /** JWT claims; `null` for a request without an authorizer context. */
  claims?: Record<string, string | number> | null;
  routeKey?: string;
}

export const defaultClaims = { org_id: '123', sub: 'user-1' };

/** An API Gateway HTTP API (payload v2) event as the JWT authorizer hands it to a Lambda. */
export function apiEvent(options: EventOptions = {}): ApiEvent {
  const routeKey = options.routeKey ?? 'POST /v1/files';
  const [method = 'POST', path = '/'] = routeKey.split(' ');
  const text = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const body = text !== undefined && options.base64 ? Buffer.from(text, 'utf8').toString('base64') : text;
  const claims = options.claims === undefined ? defaultClaims : options.claims;
  const requestContext = {
    accountId: '000000000000',
    apiId: 'api',
    domainName: 'api.example.com',
    domainPrefix: 'api',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
    requestId: 'request-1',
    routeKey,
    stage: '$default',
    time: '01/May/2024:12:00:00 +0000',
    timeEpoch: 1714564800000,
    ...(claims === null ? {} : { authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: null } } }),
  };
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: options.base64 ?? false,
    ...(body !== undefined ? { body } : {}),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.path ? { pathParameters: options.path } : {}),
    requestContext: requestContext as ApiEvent['requestContext'],
  };
}

/** The JSON body of a handler result. */
export function bodyOf<T = Record<string, unknown>>(result: { body?: string }): T {
  return JSON.parse(result.body ?? 'null') as T;
}
