import { EventEmitter } from 'node:events';
import type { RequestOptions } from 'node:http';
import { Readable } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpSourceFetcher } from '../../../lambdas/adapters/source-fetcher';
import { SourceRefusedError } from '../../../lambdas/core/source-url';
import type { Resolver } from '../../../lambdas/core/source-url';

/**
 * The fetcher with Node's https client replaced: each request's options are kept, and the
 * answers are scripted, so no test touches the network.
 */
const https = vi.hoisted(() => ({
  requests: [] as RequestOptions[],
  answers: [] as Array<{ status: number; headers?: Record<string, string>; body?: string }>,
}));

vi.mock('node:https', () => ({
  request: (options: RequestOptions, onResponse: (response: unknown) => void) => {
    https.requests.push(options);
    const request = Object.assign(new EventEmitter(), {
      end: () => {
        const answer = https.answers.shift() ?? { status: 404 };
        const response = Object.assign(Readable.from(answer.body ? [Buffer.from(answer.body)] : []), {
          statusCode: answer.status,
          headers: answer.headers ?? {},
          complete: true,
        });
        setImmediate(() => onResponse(response));
      },
      destroy: () => undefined,
    });
    return request;
  },
}));

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

/** Answers each name from its list of answers in turn, as a DNS server that changes its mind. */
function rebindingResolver(answers: Record<string, string[][]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    const next = answers[hostname]?.shift() ?? [];
    return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

function lookupOf(options: RequestOptions | undefined, all: boolean): Promise<unknown[]> {
  return new Promise((resolve) => {
    (options?.lookup as (host: string, options: object, callback: (...args: unknown[]) => void) => void)(
      'files.example',
      { all },
      (...args: unknown[]) => resolve(args),
    );
  });
}

beforeEach(() => {
  https.requests.length = 0;
  https.answers.length = 0;
});

describe('HttpSourceFetcher', () => {
  it('connects to the address it checked, keeping the name for TLS and Host, so DNS that changes its answer cannot redirect it', async () => {
    // Prepare: the name is public when checked, and loopback if asked again.
    const resolve = rebindingResolver({ 'files.example': [['93.184.215.14'], ['127.0.0.1']] });
    https.answers.push({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' });
    const fetcher = new HttpSourceFetcher({ httpHosts: [], timeoutMs: 5_000, resolve });

    // Act
    const fetched = await fetcher.fetch('https://files.example/notes/a.txt?v=2', { maxBytes: 100 });

    // Assess
    expect(await text(fetched.body)).toBe('hello');
    expect(resolve.calls).toEqual(['files.example']);
    const [options] = https.requests;
    expect(options).toMatchObject({ hostname: 'files.example', path: '/notes/a.txt?v=2', agent: false, method: 'GET' });
    expect(await lookupOf(options, true)).toEqual([null, [{ address: '93.184.215.14', family: 4 }]]);
    expect(await lookupOf(options, false)).toEqual([null, '93.184.215.14', 4]);
  });

  it('checks the name a redirect leads to, and refuses it when any of its addresses is private', async () => {
    // Prepare
    const resolve = rebindingResolver({ 'files.example': [['93.184.215.14']], 'internal.example': [['93.184.215.15', '10.0.0.5']] });
    https.answers.push({ status: 302, headers: { location: 'https://internal.example/secret' } });
    const fetcher = new HttpSourceFetcher({ httpHosts: [], timeoutMs: 5_000, resolve });

    // Act
    const fetching = fetcher.fetch('https://files.example/a.txt', { maxBytes: 100 });

    // Assess
    await expect(fetching).rejects.toBeInstanceOf(SourceRefusedError);
    await expect(fetching).rejects.toThrow(/resolves to 10\.0\.0\.5, a private address/);
    expect(https.requests).toHaveLength(1);
  });

  it('refuses a redirect from https to plain http, even to a public host', async () => {
    // Prepare
    const resolve = rebindingResolver({ 'files.example': [['93.184.215.14']] });
    https.answers.push({ status: 301, headers: { location: 'http://files.example/a.txt' } });
    const fetcher = new HttpSourceFetcher({ httpHosts: [], timeoutMs: 5_000, resolve });

    // Act
    const fetching = fetcher.fetch('https://files.example/a.txt', { maxBytes: 100 });

    // Assess
    await expect(fetching).rejects.toThrow(/plain http/);
  });

  it('refuses a declared Content-Length beyond maxBytes with 413 before reading the body', async () => {
    // Prepare
    const resolve = rebindingResolver({ 'files.example': [['93.184.215.14']] });
    https.answers.push({ status: 200, headers: { 'content-length': '101' }, body: 'x'.repeat(101) });
    const fetcher = new HttpSourceFetcher({ httpHosts: [], timeoutMs: 5_000, resolve });

    // Act
    const fetching = fetcher.fetch('https://files.example/a.txt', { maxBytes: 100 });

    // Assess
    await expect(fetching).rejects.toMatchObject({ status: 413 });
  });
});
