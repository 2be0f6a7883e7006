import http from 'node:http';
import { isIP } from 'node:net';

export interface HttpResponse {
  status: number;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  signal?: AbortSignal;
}

/** An error before any status arrived (refused, reset, aborted, timed out), labelled by its code. */
export class NetworkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** True for 127.0.0.0/8, ::1 and localhost: the load generator refuses anything else. */
export function isLoopback(url: string): boolean {
  let host: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:') return false;
    host = parsed.hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/**
 * How long an idle keep-alive connection is kept. It must end before the server closes its
 * side (Node's default keepAliveTimeout is 5 s), or a request sent on a connection the server
 * is closing at that moment fails with ECONNRESET / "socket hang up". Node 20's agent applies
 * the server's `Keep-Alive: timeout=5` hint only when it is shorter than the agent's own
 * `timeout`, and without one it keeps idle sockets forever, so the agent needs this bound.
 */
export const idleSocketTimeoutMs = 4000;

/**
 * A plain keep-alive HTTP/1.1 client on node:http. Each origin (the API, the local S3) gets up
 * to `maxSockets` connections, so a run at concurrency C never queues inside the client.
 */
export class HttpClient {
  private readonly agent: http.Agent;

  constructor(maxSockets: number) {
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets,
      maxFreeSockets: maxSockets,
      scheduling: 'lifo',
      // Also the inactivity timeout of busy sockets, where it only emits 'timeout' on the
      // request (ignored: the per-request AbortSignal bounds requests); idle ones are closed.
      timeout: idleSocketTimeoutMs,
    });
  }

  request(options: HttpRequest): Promise<HttpResponse> {
    const url = new URL(options.url);
    if (!isLoopback(options.url)) return Promise.reject(new NetworkError('NON_LOOPBACK', `refusing non-loopback URL ${url.origin}`));
    const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
    const headers: Record<string, string> = { ...options.headers };
    if (body) headers['content-length'] = String(body.length);
    return new Promise<HttpResponse>((resolve, reject) => {
      const fail = (error: unknown) => reject(toNetworkError(error, options.signal));
      const request = http.request(
        url,
        { method: options.method, headers, agent: this.agent, ...(options.signal ? { signal: options.signal } : {}) },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
          response.on('error', fail);
          response.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
        },
      );
      request.on('error', fail);
      request.end(body);
    });
  }

  json<T>(options: Omit<HttpRequest, 'body'> & { json?: unknown; token?: string }): Promise<HttpResponse & { data: T | undefined }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    return this.request({
      ...options,
      headers,
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
    }).then((response) => ({ ...response, data: parseJson<T>(response.body) }));
  }

  close(): void {
    this.agent.destroy();
  }
}

function parseJson<T>(body: Buffer): T | undefined {
  try {
    return body.length > 0 ? (JSON.parse(body.toString('utf8')) as T) : undefined;
  } catch {
    return undefined;
  }
}

function toNetworkError(error: unknown, signal: AbortSignal | undefined): NetworkError {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    const name = reason instanceof Error ? reason.name : '';
    if (name === 'TimeoutError') return new NetworkError('TIMEOUT', 'request timed out');
    if (name === 'RunDeadline') return new NetworkError('RUN_TIMEOUT', 'the run reached its overall time limit');
    return new NetworkError('ABORTED', 'request aborted');
  }
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return new NetworkError(typeof code === 'string' ? code : 'NETWORK', message);
}
