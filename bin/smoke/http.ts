/** A small HTTP client for the smoke test: JSON in and out, and a bounded wait on every call. */

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export class SmokeClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  /** A call to the API, with `token` as bearer and `cookie` as the Cookie header when given. */
  api(method: string, path: string, options: { token?: string; cookie?: string; json?: unknown; raw?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.send(`${this.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  }

  /** A call to a presigned URL: never with the API's token (S3 refuses two auth mechanisms). */
  presigned(method: 'GET' | 'PUT', url: string, upload?: { bytes: Uint8Array; contentType: string }): Promise<Reply> {
    return this.send(url, {
      method,
      ...(upload ? { body: upload.bytes, headers: { 'content-type': upload.contentType } } : {}),
    });
  }

  /** Raw bytes from a presigned GET. */
  async bytes(url: string): Promise<{ status: number; bytes: Buffer }> {
    const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  }

  private async send(url: string, init: RequestInit): Promise<Reply> {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: parseJson(text) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
