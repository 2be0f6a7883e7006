import { abortError, FileServiceError, throwIfAborted } from './errors';
import { nodeBuiltin, xhrConstructor, type NodeHttp } from './platform';

export interface PutAnswer {
  status: number;
  text: string;
}

export interface PutOptions {
  headers: Record<string, string>;
  /** Called with the bytes of this body sent so far. */
  onBytes(sent: number): void;
  signal: AbortSignal | undefined;
}

/**
 * PUTs bytes to a presigned S3 URL with progress as they leave: XMLHttpRequest in a browser,
 * `node:http(s)` in chunks in Node, fetch (progress when done) anywhere else.
 */
export async function putBody(url: string, body: Blob | Uint8Array, options: PutOptions): Promise<PutAnswer> {
  throwIfAborted(options.signal);
  const Xhr = xhrConstructor();
  if (Xhr) return putWithXhr(Xhr, url, body, options);
  const http = nodeBuiltin<NodeHttp>(url.startsWith('https:') ? 'node:https' : 'node:http');
  if (http) return putWithNode(http, url, body instanceof Uint8Array ? body : new Uint8Array(await body.arrayBuffer()), options);
  const response = await fetch(url, { method: 'PUT', headers: options.headers, body: body as Blob, signal: options.signal ?? null }).catch((error: unknown) => {
    throw options.signal?.aborted ? abortError() : unreachable(url, error);
  });
  const answer = { status: response.status, text: await response.text() };
  if (response.ok) options.onBytes(body instanceof Uint8Array ? body.byteLength : body.size);
  return answer;
}

export function unreachable(url: string, error: unknown): FileServiceError {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  return new FileServiceError(0, `cannot reach ${new URL(url).origin}: ${cause}`, undefined, { cause: error });
}

function putWithXhr(Xhr: new () => import('./platform').Xhr, url: string, body: Blob | Uint8Array, options: PutOptions): Promise<PutAnswer> {
  return new Promise((resolve, reject) => {
    const request = new Xhr();
    const onAbort = () => request.abort();
    const done = () => options.signal?.removeEventListener('abort', onAbort);
    request.open('PUT', url);
    for (const [name, value] of Object.entries(options.headers)) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => options.onBytes(event.loaded);
    request.onload = () => {
      done();
      if (request.status >= 200 && request.status < 300) options.onBytes(body instanceof Uint8Array ? body.byteLength : body.size);
      resolve({ status: request.status, text: request.responseText });
    };
    request.onerror = () => {
      done();
      reject(unreachable(url, new Error('network error')));
    };
    request.onabort = () => {
      done();
      reject(abortError());
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.send(body);
  });
}

function putWithNode(http: NodeHttp, url: string, body: Uint8Array, options: PutOptions): Promise<PutAnswer> {
  const chunkBytes = 256 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, answer?: PutAnswer) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(answer as PutAnswer);
    };
    const request = http.request(url, { method: 'PUT', headers: { ...options.headers, 'content-length': String(body.byteLength) } });
    const onAbort = () => {
      request.destroy(abortError());
      finish(abortError());
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => finish(options.signal?.aborted ? abortError() : unreachable(url, error)));
    request.on('response', (response) => {
      const chunks: Uint8Array[] = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('error', (error) => finish(unreachable(url, error)));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) options.onBytes(body.byteLength);
        finish(undefined, { status, text: new TextDecoder().decode(concat(chunks)) });
      });
    });
    // Each chunk is written once the previous one has left, so progress follows the socket.
    const writeFrom = (offset: number) => {
      if (settled) return;
      if (offset >= body.byteLength) return request.end();
      const end = Math.min(offset + chunkBytes, body.byteLength);
      request.write(body.subarray(offset, end), (error) => {
        if (error) return;
        options.onBytes(end);
        writeFrom(end);
      });
    };
    writeFrom(0);
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
