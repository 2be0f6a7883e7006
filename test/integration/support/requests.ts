import { request as httpRequest } from 'node:http';
import { expect } from 'vitest';
import { putBytes } from './api';
import type { Api, Ticket } from './api';

export interface RawResponse {
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * One request on its own connection, with the body sent byte for byte. Hostile requests
 * (oversized bodies, odd paths) must not leave a half-read keep-alive socket behind for the
 * next test to trip over.
 */
export function sendRaw(
  baseUrl: string,
  request: { method: string; path: string; token?: string; body?: string | Buffer; contentType?: string },
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = {};
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.body !== undefined) {
    headers['content-type'] = request.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(request.body));
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest({ hostname, port, method: request.method, path: request.path, headers, agent: false }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        resolve({ status: response.statusCode ?? 0, body: parseJson(text), headers: responseHeaders });
      });
    });
    // A server may answer an oversized body before reading all of it, then close: that is fine.
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    outgoing.end(request.body);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A refusal as epilot's ErrorObject: the status in the line and in the JSON body, and a short
 * message a user can act on (not the internal error, not an echo of a huge input).
 */
export function expectRefusal(response: { status: number; body: unknown; headers: Headers }, status: number): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status,
    body: { status, error: expect.stringMatching(/\S/) },
  });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const { error } = response.body as { error: string };
  expect(error).not.toMatch(/internal server error/i);
  expect(error.length).toBeLessThanOrEqual(500);
}

/** Steps 1 and 2 of an upload: a temp object in the caller's org, not yet saved. */
export async function stageUpload(
  api: Api,
  file: { filename: string; mimeType: string; bytes: string | Uint8Array },
): Promise<Ticket> {
  const ticket = await api.post<Ticket>('/v2/files/upload', { filename: file.filename, mime_type: file.mimeType });
  if (ticket.status !== 201) throw new Error(`upload: ${ticket.status} ${JSON.stringify(ticket.body)}`);
  const bytes = typeof file.bytes === 'string' ? Buffer.from(file.bytes) : file.bytes;
  const put = await putBytes(ticket.body.upload_url, bytes, file.mimeType);
  if (put.status !== 200) throw new Error(`PUT: ${put.status} ${await put.text()}`);
  return ticket.body;
}
