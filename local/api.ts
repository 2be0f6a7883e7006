import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiEvent, ApiHandler, ApiResult } from '../lambdas/http/handler';
import { defaultPublicThrottle } from '../lambdas/operations';
import type { HttpMethod, RouteThrottle } from '../lambdas/operations';
import { gatewayClaims, sessionToken } from '../lambdas/http/session';
import type { LocalAuth, TokenClaims } from './auth';
import { RouteThrottles } from './throttle';

/** API Gateway refuses request bodies above 10 MB. */
const maxRequestBytes = 10 * 1024 * 1024;
/** Lambda refuses to return a response payload above 6 MB (the function then errors). */
const maxResponseBytes = 6 * 1024 * 1024;
/** An HTTP API stops waiting for its integration after 30 s. */
const integrationTimeoutMs = 30_000;

/**
 * The answers API Gateway gives by itself, before or instead of the integration's. Their
 * bodies are `{"message": ...}`, not the handlers' `{status, error}`: clients meet both.
 */
export const gatewayAnswers = {
  /** No route for the path and method (HTTP APIs answer this for a wrong method too). */
  notFound: { status: 404, message: 'Not Found' },
  /** The JWT authorizer found no token, or one it could not verify. */
  unauthorized: { status: 401, message: 'Unauthorized' },
  /**
   * The session authorizer (a Lambda authorizer with simple responses, on the routes that
   * also take the session cookie) refused: API Gateway answers `isAuthorized: false` so.
   */
  forbidden: { status: 403, message: 'Forbidden' },
  /** The route's throttle found its token bucket empty. */
  tooManyRequests: { status: 429, message: 'Too Many Requests' },
  /** The request body is over 10 MB. */
  tooLarge: { status: 413, message: 'Request Entity Too Large' },
  /** The integration threw, crashed, returned over 6 MB or a result API Gateway cannot read. */
  internalError: { status: 500, message: 'Internal Server Error' },
  /** The integration did not answer within the 30 s integration timeout. */
  timeout: { status: 503, message: 'Service Unavailable' },
} as const;
export type GatewayAnswer = keyof typeof gatewayAnswers;

export interface LocalRoute {
  method: HttpMethod;
  path: string;
  handler: ApiHandler;
  /** Reached without a token: no authorizer, throttled instead (see `publicThrottle`). */
  public?: boolean;
  /** Also reached with the session cookie: the session authorizer in place of the JWT authorizer. */
  cookie?: boolean;
}

interface CompiledRoute extends LocalRoute {
  pattern: RegExp;
  params: string[];
}

/**
 * What `npm start` serves beside the API, on paths no operation routes (the web console, the
 * docs page, the local sign-in): never part of the API Gateway emulation, so no authorizer,
 * throttle or CORS applies. Tried in order; the first whose method and path match answers.
 */
export interface LocalPage {
  method: 'GET' | 'POST';
  /** The exact path, or a prefix ending in `/` that matches every path below it. */
  path: string;
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
}

export interface LocalApiOptions {
  routes: LocalRoute[];
  /** Local-only pages, reached when no route matches. */
  pages?: LocalPage[];
  auth: LocalAuth;
  port?: number;
  host?: string;
  /**
   * Origins allowed to call the API from a browser. Listed origins (not `*`) may also send
   * credentials (the session cookie) and read the answers, as the CDK stack configures.
   */
  corsOrigins?: string[];
  /** The throttle of each public route (default the CDK stack's, `defaultPublicThrottle`). */
  publicThrottle?: RouteThrottle;
  /** How long to wait for a handler before answering 503 as API Gateway does (default 30 s). */
  integrationTimeoutMs?: number;
}

export interface LocalApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * What API Gateway (HTTP API, payload v2, JWT authorizer, CORS configuration) does in front
 * of the Lambdas: answer CORS preflights, match the route, verify the JWT, build a payload v2
 * event, call the handler and write its result. Where API Gateway answers by itself (no
 * route, bad token, oversized body, integration timeout, crashed or malformed integration),
 * the local API answers with the same status, body and headers, so clients meet those
 * shapes on `npm start` before they meet them on AWS.
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  // As API Gateway, a path of literal segments wins over one with variables that also matches
  // (POST /v2/files/upload over POST /v2/files/{id}), whatever order the routes come in.
  const routes = options.routes.map(compile).sort((a, b) => a.params.length - b.params.length);
  const cors = corsPolicy(options.corsOrigins ?? ['*']);
  const timeoutMs = options.integrationTimeoutMs ?? integrationTimeoutMs;
  const throttles = new RouteThrottles(options.publicThrottle ?? defaultPublicThrottle);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) answer(response, 'internalError');
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    // API Gateway names every answer, its own and the integration's, with this header.
    response.setHeader('apigw-requestid', requestId);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS' && isPreflight(request)) return preflight(request, response, cors);
    applyCors(request, response, cors);

    // HTTP APIs have no 405: a known path with a method that has no route is "Not Found" too.
    const route = routes.find((candidate) => candidate.method === method && candidate.pattern.test(url.pathname));
    if (!route) {
      const page = options.pages?.find((candidate) => candidate.method === method && pageMatches(candidate.path, url.pathname));
      if (page) return page.handle(request, response, url);
      return answer(response, 'notFound', request);
    }
    let claims: VerifiedClaims | undefined;
    if (route.public) {
      // A public route has no authorizer: whatever token comes along is not looked at.
      if (!throttles.take(`${route.method} ${route.path}`)) return answer(response, 'tooManyRequests', request);
    } else if (route.cookie) {
      const verified = await authorizeSession(request, options.auth);
      if (!verified) return answer(response, 'forbidden', request);
      claims = { by: 'lambda', claims: verified };
    } else {
      const verified = await authorize(request, options.auth);
      if (!verified) return answer(response, 'unauthorized', request);
      claims = { by: 'jwt', claims: verified };
    }
    const body = await readBody(request);
    if (body === undefined) return answer(response, 'tooLarge');

    const outcome = await invoke(route.handler, toEvent(request, url, route, claims, body, requestId), timeoutMs);
    if (outcome.kind === 'timeout') return answer(response, 'timeout');
    if (outcome.kind === 'crashed') {
      console.error(`local API: ${route.method} ${route.path} failed: ${outcome.reason}`);
      return answer(response, 'internalError');
    }
    write(response, outcome.result);
  }

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return { url: `http://${host}:${port}`, stop: () => close(server) };
}

type Outcome =
  | { kind: 'answered'; result: StructuredResult }
  | { kind: 'timeout' }
  | { kind: 'crashed'; reason: string };

type StructuredResult = Required<Pick<ApiResult, 'statusCode'>> & ApiResult;

/**
 * Calls the handler as the Lambda integration would: an answer, or a timeout once the
 * integration limit passes (the handler keeps running, as a Lambda does after API Gateway
 * gave up), or a crash for a throw or a result API Gateway cannot read.
 */
async function invoke(handler: ApiHandler, event: ApiEvent, timeoutMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  const ran = (async (): Promise<Outcome> => {
    try {
      const returned = await handler(event);
      if (Buffer.byteLength(JSON.stringify(returned) ?? '') > maxResponseBytes) {
        return { kind: 'crashed', reason: `the response payload is over Lambda's ${maxResponseBytes} bytes` };
      }
      const result = readResult(returned);
      return result ? { kind: 'answered', result } : { kind: 'crashed', reason: 'the handler returned a malformed result' };
    } catch (error) {
      return { kind: 'crashed', reason: error instanceof Error ? (error.stack ?? error.message) : String(error) };
    }
  })();
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The handler's result as payload format 2.0 reads it: a structured result with a valid
 * status, or any other JSON object, which API Gateway sends as a 200 JSON body. Undefined
 * for what API Gateway cannot read.
 */
export function readResult(result: unknown): StructuredResult | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const candidate = result as Record<string, unknown>;
  if (!('statusCode' in candidate)) {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  }
  const { statusCode, body, headers, isBase64Encoded } = candidate;
  const validStatus = typeof statusCode === 'number' && Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599;
  const validBody = body === undefined || typeof body === 'string';
  const validHeaders =
    headers === undefined ||
    (typeof headers === 'object' && headers !== null &&
      Object.values(headers).every((value) => ['string', 'number', 'boolean'].includes(typeof value)));
  const validFlag = isBase64Encoded === undefined || typeof isBase64Encoded === 'boolean';
  return validStatus && validBody && validHeaders && validFlag ? (result as StructuredResult) : undefined;
}

function compile(route: LocalRoute): CompiledRoute {
  const params: string[] = [];
  const source = route.path
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const param = /^\{([^}]+)\}$/.exec(part);
      if (!param?.[1]) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(param[1]);
      return '([^/]+)';
    })
    .join('');
  return { ...route, pattern: new RegExp(`^${source}$`), params };
}

async function authorize(request: IncomingMessage, auth: LocalAuth): Promise<TokenClaims | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1] ? auth.verify(match[1]) : undefined;
}

/** Which authorizer verified the claims: the JWT authorizer, or the session (Lambda) authorizer. */
interface VerifiedClaims {
  by: 'jwt' | 'lambda';
  claims: TokenClaims;
}

/**
 * The session authorizer of the cookie routes, as its Lambda on AWS
 * (lambdas/handlers/authorize-session.ts) decides, with the local keys: the bearer header
 * when one is sent, else the one `token` cookie.
 */
async function authorizeSession(request: IncomingMessage, auth: LocalAuth): Promise<TokenClaims | undefined> {
  const token = sessionToken(request.headers.authorization, cookiesOf(request));
  return token ? auth.verify(token) : undefined;
}

/** The request's cookies as payload 2.0 lists them: one `name=value` per entry. */
function cookiesOf(request: IncomingMessage): string[] {
  const header = request.headers.cookie;
  if (!header) return [];
  return header.split(';').map((pair) => pair.trim()).filter((pair) => pair !== '');
}

/**
 * The body, or undefined when it is larger than API Gateway accepts. An oversized body is
 * still read to its end, so the connection stays usable for the client's next request.
 */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= maxRequestBytes) chunks.push(chunk as Buffer);
  }
  return size > maxRequestBytes ? undefined : Buffer.concat(chunks);
}

function pageMatches(path: string, pathname: string): boolean {
  return path.endsWith('/') && path !== '/' ? pathname.startsWith(path) : pathname === path;
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  claims: VerifiedClaims | undefined,
  body: Buffer,
  requestId: string,
): ApiEvent {
  const values = route.pattern.exec(url.pathname)?.slice(1) ?? [];
  const pathParameters = Object.fromEntries(route.params.map((name, index) => [name, safeDecode(values[index] ?? '')]));
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    // API Gateway joins repeated parameters with commas.
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    // Payload 2.0 moves cookies out of the headers into `cookies`.
    if (value !== undefined && name !== 'cookie') headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = cookiesOf(request);
  // API Gateway sets this itself, whatever the client sent; the local API speaks plain HTTP.
  headers['x-forwarded-proto'] = 'http';
  const text = isText(headers['content-type']);
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters } : {}),
    ...(route.params.length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: route.method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      // A route without an authorizer gets no authorizer context at all; the session
      // authorizer's context (the claims, in the JWT authorizer's shape) arrives under `lambda`.
      ...(claims?.by === 'jwt'
        ? {
            authorizer: {
              principalId: '',
              integrationLatency: 0,
              jwt: { claims: gatewayClaims(claims.claims), scopes: [] },
            },
          }
        : {}),
      ...(claims?.by === 'lambda' ? { authorizer: { lambda: gatewayClaims(claims.claims) } } : {}),
    },
  } as ApiEvent;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function isText(contentType: string | undefined): boolean {
  return !contentType || /^(text\/|application\/(json|xml|x-www-form-urlencoded)|[^;]*\+json)/i.test(contentType);
}

/** The CORS configuration the CDK stack gives the HTTP API, for the given origins. */
interface CorsPolicy {
  origins: string[];
  methods: string;
  headers: string;
  exposeHeaders: string;
  maxAgeSeconds: number;
  /** Only for listed origins: a browser may then send the session cookie and read the answer. */
  allowCredentials: boolean;
}

function corsPolicy(origins: string[]): CorsPolicy {
  return {
    origins,
    methods: 'GET,POST,PATCH,DELETE',
    headers: 'authorization,content-type,if-match',
    exposeHeaders: 'etag',
    maxAgeSeconds: 3600,
    allowCredentials: origins.length > 0 && !origins.includes('*'),
  };
}

function allowedOrigin(request: IncomingMessage, policy: CorsPolicy): string | undefined {
  const origin = request.headers.origin;
  if (!origin) return undefined;
  if (policy.origins.includes('*')) return '*';
  return policy.origins.includes(origin) ? origin : undefined;
}

/** A CORS preflight carries Origin and Access-Control-Request-Method; other OPTIONS are routed. */
function isPreflight(request: IncomingMessage): boolean {
  return request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined;
}

/**
 * API Gateway answers preflights itself, without a route or a token, and only names the
 * CORS headers for an allowed origin.
 */
function preflight(request: IncomingMessage, response: ServerResponse, policy: CorsPolicy): void {
  const origin = allowedOrigin(request, policy);
  if (origin) {
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('access-control-allow-methods', policy.methods);
    response.setHeader('access-control-allow-headers', policy.headers);
    response.setHeader('access-control-max-age', String(policy.maxAgeSeconds));
    if (policy.allowCredentials) response.setHeader('access-control-allow-credentials', 'true');
    if (origin !== '*') response.setHeader('vary', 'origin');
  }
  request.resume();
  response.writeHead(204).end();
}

function applyCors(request: IncomingMessage, response: ServerResponse, policy: CorsPolicy): void {
  const origin = allowedOrigin(request, policy);
  if (!origin) return;
  response.setHeader('access-control-allow-origin', origin);
  response.setHeader('access-control-expose-headers', policy.exposeHeaders);
  if (policy.allowCredentials) response.setHeader('access-control-allow-credentials', 'true');
  if (origin !== '*') response.setHeader('vary', 'origin');
}

function write(response: ServerResponse, result: ApiResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    // The CORS answer's `Vary: origin` stays beside the handler's own.
    const before = name.toLowerCase() === 'vary' ? response.getHeader('vary') : undefined;
    response.setHeader(name, before === undefined ? String(value) : `${String(before)}, ${String(value)}`);
  }
  const body = result.body ?? '';
  response.writeHead(result.statusCode ?? 200);
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/**
 * One of API Gateway's own answers. A body the client is still sending is read and dropped,
 * so the connection stays usable.
 */
function answer(response: ServerResponse, which: GatewayAnswer, request?: IncomingMessage): void {
  const { status, message } = gatewayAnswers[which];
  request?.resume();
  if (which === 'unauthorized') {
    // The JWT authorizer says why in this header; a request without a token gets none.
    const sent = request?.headers.authorization !== undefined;
    if (sent) response.setHeader('www-authenticate', 'Bearer scope="" error="invalid_token" error_description="the token is not valid"');
  }
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ message }));
}

/** API Gateway's request ids look like `Mc7UVioPPHcEKPA=`. */
function newRequestId(): string {
  return randomBytes(11).toString('base64');
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
