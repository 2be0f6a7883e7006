import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** A 1×1 PNG. */
export const png = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0e5b1e40000000049454e44ae426082',
  'hex',
);

/** Deterministic bytes of any length, so a download can be compared without keeping them. */
export function patterned(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = (index * 31 + (index >> 13)) & 0xff;
  return bytes;
}

export interface SourceServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** A server that answers with raw bytes, no HTTP framing beyond a status line and headers. */
  rawUrl: string;
  /** How many requests each path received. */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * A file server on 127.0.0.1 for source_url tests, with paths for every way a source may
 * behave: files, redirects, error statuses, sizes declared or not, stalls.
 *
 *   /file/<name>?type=<content-type>&bytes=<n>    patterned bytes (or the PNG for *.png)
 *   /named?filename=<name>                        a Content-Disposition filename
 *   /to?location=<url>                            302 to the location
 *   /hops/<n>                                     n redirects, then /file/hops.txt
 *   /status/<code>                                that status
 *   /chunked?bytes=<n>                            n bytes without a Content-Length
 *   /broken?bytes=<n>&after=<m>                   declares n bytes, sends m, drops the connection
 *   /stall                                        headers and some bytes, then nothing
 *   /silent                                       nothing at all
 */
export async function startSourceServer(): Promise<SourceServer> {
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const http = createHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://source');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    route(url, request, response);
  });
  http.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Close-delimited bodies: HTTP/1.0 style, the end of the body is the end of the connection.
  const raw = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n');
      socket.end(patterned(300_000));
    });
    socket.on('error', () => undefined);
  });
  await Promise.all([listen(http), listen(raw)]);
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    rawUrl: `http://127.0.0.1:${(raw.address() as AddressInfo).port}`,
    hits,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all([close(http), close(raw)]);
    },
  };
}

function route(url: URL, request: IncomingMessage, response: ServerResponse): void {
  const [, kind, rest] = /^\/([^/]+)\/?(.*)$/.exec(url.pathname) ?? [];
  switch (kind) {
    case 'file': {
      const name = decodeURIComponent(rest ?? 'file');
      const bytes = name.endsWith('.png') ? png : patterned(Number(url.searchParams.get('bytes') ?? 1000));
      const type = url.searchParams.get('type');
      response.writeHead(200, { 'content-length': bytes.length, ...(type ? { 'content-type': type } : {}) });
      response.end(bytes);
      return;
    }
    case 'named':
      response.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-disposition': `attachment; filename="fallback.txt"; filename*=UTF-8''${encodeURIComponent(url.searchParams.get('filename') ?? '')}`,
      });
      response.end('named by its server');
      return;
    case 'to':
      response.writeHead(302, { location: url.searchParams.get('location') ?? '/' });
      response.end();
      return;
    case 'hops': {
      const left = Number(rest);
      response.writeHead(left > 1 ? 301 : 307, { location: left > 1 ? `/hops/${left - 1}` : '/file/hops.txt?type=text/plain' });
      response.end();
      return;
    }
    case 'status':
      response.writeHead(Number(rest), { 'content-type': 'text/plain' });
      response.end(`status ${rest}`);
      return;
    case 'chunked': {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const bytes = patterned(Number(url.searchParams.get('bytes') ?? 0));
      let sent = 0;
      const more = () => {
        while (sent < bytes.length) {
          const chunk = bytes.subarray(sent, sent + 16_384);
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', more);
        }
        response.end();
      };
      more();
      return;
    }
    case 'broken': {
      // Declares the whole length, sends the first bytes, then drops the connection.
      const bytes = patterned(Number(url.searchParams.get('bytes') ?? 0));
      const after = Number(url.searchParams.get('after') ?? 0);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
      response.write(bytes.subarray(0, after), () => setTimeout(() => response.socket?.destroy(), 50));
      return;
    }
    case 'stall':
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      response.write('the first bytes, and then nothing');
      return;
    case 'silent':
      request.socket.setTimeout(0);
      return;
    default:
      response.writeHead(404);
      response.end();
  }
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
