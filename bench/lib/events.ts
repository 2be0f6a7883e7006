import { randomUUID } from 'node:crypto';
import type { ApiEvent, ApiHandler, ApiResult } from '../../lambdas/http/handler';

/** What API Gateway's JWT authorizer passes on: the verified claims. */
export interface Claims {
  org_id: string;
  sub: string;
}

export interface EventInit {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Route as declared in lambdas/operations.ts, e.g. `/v2/files/{id}`. */
  route: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Request headers beside the JSON content type and host every event has, by lower-case name. */
  headers?: Record<string, string>;
  claims: Claims;
}

/** An API Gateway HTTP API (payload v2) event, as the Lambda receives it behind the JWT authorizer. */
export function apiEvent(init: EventInit): ApiEvent {
  const rawPath = init.route.replace(/\{([^}]+)\}/g, (_, name: string) => init.pathParameters?.[name] ?? '');
  const rawQueryString = new URLSearchParams(init.query ?? {}).toString();
  const routeKey = `${init.method} ${init.route}`;
  const now = new Date();
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers: { 'content-type': 'application/json', host: 'bench.local', ...init.headers },
    ...(init.query ? { queryStringParameters: init.query } : {}),
    ...(init.pathParameters ? { pathParameters: init.pathParameters } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: { method: init.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: { ...init.claims }, scopes: [] } },
    },
  };
}

/** Calls a handler and returns its parsed JSON body; throws when the status is not the expected one. */
export async function invoke<T>(handler: ApiHandler, event: ApiEvent, expected: number[]): Promise<T> {
  const result: ApiResult = await handler(event, { awsRequestId: event.requestContext.requestId });
  const status = result.statusCode ?? 200;
  if (!expected.includes(status)) {
    throw new Error(`${event.routeKey}: expected ${expected.join('/')}, got ${status} ${String(result.body).slice(0, 300)}`);
  }
  return (result.body ? JSON.parse(result.body) : undefined) as T;
}
