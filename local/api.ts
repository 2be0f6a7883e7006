import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiEvent, ApiHandler, ApiResult } from '../lambdas/http/handler';
import type { HttpMethod } from '../lambdas/operations';
import type { LocalAuth, TokenClaims } from './auth';

/** API Gateway refuses request bodies above 10 MB. */
const maxRequestBytes = 10 * 1024 * 1024;

export interface LocalRoute {
  method: HttpMethod;
  path: string;
  handler: ApiHandler;
}

interface CompiledRoute extends LocalRoute {
  pattern: RegExp;
  params: string[];
}

export interface LocalApiOptions {
  routes: LocalRoute[];
  auth: LocalAuth;
  port?: number;
  host?: string;
  /** Origins allowed to call the API from a browser. */
  corsOrigins?: string[];
}

export interface LocalApi {
  url: string;
  stop(): Promise<void>;
}

/**
 * What API Gateway does in front of the Lambdas: match the route, verify the JWT (as the
 * HTTP API's JWT authorizer), build a payload v2 event and write the handler's result.
 */
export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const routes = options.routes.map(compile);
  const corsOrigins = options.corsOrigins ?? ['*'];
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { status: 500, error: 'Internal server error' });
      else response.destroy(error instanceof Error ? error : undefined);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    applyCors(request, response, corsOrigins);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS') {
      response.writeHead(204).end();
      return;
    }
    const matches = routes.filter((route) => route.pattern.test(url.pathname));
    if (matches.length === 0) return send(response, 404, { status: 404, error: `No route for ${url.pathname}` });
    const route = matches.find((candidate) => candidate.method === method);
    if (!route) {
      response.setHeader('allow', [...new Set(matches.map((match) => match.method))].join(', '));
      return send(response, 405, { status: 405, error: `${method} is not allowed on ${url.pathname}` });
    }
    const claims = await authorize(request, options.auth);
    if (!claims) return send(response, 401, { status: 401, error: 'Unauthorized: missing or invalid token' });
    const body = await readBody(request);
    if (body === undefined) {
      return send(response, 413, { status: 413, error: `Request body is larger than ${maxRequestBytes} bytes` });
    }
    const result = await route.handler(toEvent(request, url, route, claims, body));
    write(response, result);
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

function toEvent(
  request: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  claims: TokenClaims,
  body: Buffer,
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
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const text = isText(headers['content-type']);
  const now = new Date();
  const routeKey = `${route.method} ${route.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
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
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: claims as Record<string, string | number | boolean | string[]>, scopes: [] },
      },
    },
  };
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

function applyCors(request: IncomingMessage, response: ServerResponse, origins: string[]): void {
  const origin = request.headers.origin;
  if (!origin || !(origins.includes('*') || origins.includes(origin))) return;
  response.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
  response.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
  response.setHeader('access-control-allow-headers', 'authorization, content-type');
  response.setHeader('access-control-max-age', '600');
  response.setHeader('vary', 'origin');
}

function write(response: ServerResponse, result: ApiResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  const body = result.body ?? '';
  response.writeHead(result.statusCode ?? 200);
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
