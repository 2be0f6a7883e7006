import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { HttpError } from '../core/errors';
import type { FetchedSource, SourceFetcher } from '../core/ports';
import {
  checkSourceUrl,
  maxSourceRedirects,
  SourceFailedError,
  SourceTooLargeError,
  vetHost,
  type HttpHost,
  type Resolver,
} from '../core/source-url';

export interface HttpSourceFetcherOptions {
  /** Hosts that may be fetched over plain http (trusted: their addresses are not checked). */
  httpHosts: readonly HttpHost[];
  /** The whole fetch, redirects and body included. */
  timeoutMs: number;
  /** One connection, from its start to its established socket. */
  connectTimeoutMs?: number;
  /** Tests inject names that resolve to chosen addresses. */
  resolve?: Resolver;
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** Every address of a name, in the resolver's order. */
const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Fetches a source URL with Node's http(s) client under the rules of core/source-url.ts. The
 * name is resolved here, every address checked, and the connection made to the checked address
 * (a `lookup` that answers only it), so a name that resolves elsewhere a moment later (DNS
 * rebinding) cannot redirect the request; TLS still verifies the certificate for the name.
 * Redirects are followed by hand, each target checked again.
 */
export class HttpSourceFetcher implements SourceFetcher {
  private readonly resolve: Resolver;
  private readonly connectTimeoutMs: number;

  constructor(private readonly options: HttpSourceFetcherOptions) {
    this.resolve = options.resolve ?? systemResolver;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  }

  async fetch(raw: string, { maxBytes }: { maxBytes: number }): Promise<FetchedSource> {
    const deadline = new Deadline(this.options.timeoutMs);
    try {
      let next = raw;
      for (let redirects = 0; ; redirects += 1) {
        const target = checkSourceUrl(next, this.options.httpHosts);
        const vetted = target.trusted ? undefined : await deadline.race(vetHost(target.url, this.resolve));
        const response = await this.request(target.url, vetted, deadline);
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (redirectStatuses.has(status) && location) {
          response.destroy();
          if (redirects >= maxSourceRedirects) {
            throw new SourceFailedError(`source_url redirected more than ${maxSourceRedirects} times`);
          }
          next = new URL(location, target.url).toString();
          continue;
        }
        // Only 200 carries the whole file: 204 has none, and 206 a part nobody asked for.
        if (status !== 200) {
          response.destroy();
          throw new SourceFailedError(`source_url answered HTTP ${status}, not the file`);
        }
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          response.destroy();
          throw tooLarge(maxBytes, `declares ${declared} bytes`);
        }
        return {
          url: target.url,
          ...(response.headers['content-type'] ? { contentType: response.headers['content-type'] } : {}),
          ...(response.headers['content-disposition'] ? { contentDisposition: response.headers['content-disposition'] } : {}),
          body: bodyOf(response, maxBytes, deadline),
        };
      }
    } catch (error) {
      deadline.clear();
      throw deadline.explain(error);
    }
  }

  private request(url: URL, vetted: { address: string; family: 4 | 6 } | undefined, deadline: Deadline): Promise<IncomingMessage> {
    const options: RequestOptions = {
      method: 'GET',
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      ...(url.port ? { port: Number(url.port) } : {}),
      path: `${url.pathname}${url.search}`,
      headers: { accept: '*/*', 'accept-encoding': 'identity', 'user-agent': 'file-service (source_url)' },
      // No pooled sockets: each connection is made to the address checked for it.
      agent: false,
      signal: deadline.signal,
      ...(vetted ? { lookup: fixedLookup(vetted) } : {}),
    };
    return new Promise((resolve, reject) => {
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, resolve);
      request.on('error', reject);
      request.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => request.destroy(new SourceFailedError(`source_url's host did not accept a connection within ${this.connectTimeoutMs} ms`)),
          this.connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      request.end();
    });
  }
}

/** A lookup that answers only the address that was checked, however it is asked. */
function fixedLookup(vetted: { address: string; family: 4 | 6 }): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: vetted.address, family: vetted.family }] satisfies LookupAddress[]);
    else callback(null, vetted.address, vetted.family);
  }) as LookupFunction;
}

/** The response's bytes, counted: beyond `maxBytes`, past the deadline or cut off, it throws. */
async function* bodyOf(response: IncomingMessage, maxBytes: number, deadline: Deadline): AsyncGenerator<Uint8Array> {
  let received = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > maxBytes) throw tooLarge(maxBytes, 'sent more');
      yield chunk;
    }
    if (!response.complete) throw new SourceFailedError('source_url broke off before the whole file arrived');
  } catch (error) {
    throw deadline.explain(error);
  } finally {
    deadline.clear();
    response.destroy();
  }
}

function tooLarge(maxBytes: number, what: string): SourceTooLargeError {
  return new SourceTooLargeError(`source_url ${what} than the ${maxBytes} bytes a file may have`);
}

/** The fetch's time bound: aborts whatever is under way when it passes. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.timer = setTimeout(() => this.controller.abort(this.timeout()), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The work, or the timeout's error when the deadline passes first. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.signal.aborted) return reject(this.timeout());
      this.signal.addEventListener('abort', () => reject(this.timeout()), { once: true });
      work.then(resolve, reject);
    });
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  /** The error to answer: the service's own as is; anything else of the source's as a 422. */
  explain(error: unknown): HttpError {
    if (this.signal.aborted) return this.timeout();
    if (error instanceof HttpError) return error;
    const code = (error as { code?: string }).code;
    const detail = code ?? (error instanceof Error ? error.message : String(error));
    return new SourceFailedError(`source_url could not be fetched (${detail})`);
  }

  private timeout(): SourceFailedError {
    return new SourceFailedError(`source_url did not deliver the file within ${this.timeoutMs / 1000} s`);
  }
}
