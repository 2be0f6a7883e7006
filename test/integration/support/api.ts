import type { LocalStack } from '../../../local/stack';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** A plain HTTP client for the local API, as any client of the service would use it. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  withToken(token: string | undefined): Api {
    return new Api(this.baseUrl, token);
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    init: { rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const payload = init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }

  /** A GET answered as it comes, for answers that are not JSON (images); redirects not followed. */
  raw(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...headers }, redirect: 'manual' });
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }

  patch<T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers ? { headers } : {});
  }

  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

export interface Ticket {
  s3ref: { bucket: string; key: string };
  upload_url: string;
  public_url?: string;
}

export interface Entity {
  _id: string;
  _org: string;
  filename: string;
  type: string;
  mime_type: string;
  size_bytes: number;
  readable_size: string;
  s3ref: { bucket: string; key: string };
  versions: Array<{ s3ref: { bucket: string; key: string }; filename: string; size_bytes: number }>;
  [field: string]: unknown;
}

/** The three steps: ask for a URL, PUT the bytes to S3, save. */
export async function uploadFile(
  api: Api,
  file: { filename: string; mimeType: string; bytes: Uint8Array; id?: string; extra?: Record<string, unknown> },
): Promise<Entity> {
  const query = file.id ? `?file_entity_id=${file.id}` : '';
  const ticket = await api.post<Ticket>(`/v2/files/upload${query}`, { filename: file.filename, mime_type: file.mimeType });
  if (ticket.status !== 201) throw new Error(`upload: ${ticket.status} ${JSON.stringify(ticket.body)}`);
  const put = await putBytes(ticket.body.upload_url, file.bytes, file.mimeType);
  if (put.status !== 200) throw new Error(`PUT: ${put.status} ${await put.text()}`);
  const saved = await api.post<Entity>('/v2/files', {
    s3ref: ticket.body.s3ref,
    filename: file.filename,
    ...(file.id ? { _id: file.id } : {}),
    ...file.extra,
  });
  if (saved.status !== 201 && saved.status !== 200) throw new Error(`save: ${saved.status} ${JSON.stringify(saved.body)}`);
  return saved.body;
}

export function putBytes(url: string, bytes: Uint8Array, contentType: string): Promise<Response> {
  return fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': contentType } });
}

export async function downloadBytes(api: Api, id: string, version = 0): Promise<Buffer> {
  const link = await api.get<{ download_url: string }>(`/v1/files/${id}/download?version=${version}`);
  if (link.status !== 200) throw new Error(`download: ${link.status} ${JSON.stringify(link.body)}`);
  const response = await fetch(link.body.download_url);
  if (response.status !== 200) throw new Error(`GET: ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

/** Tokens for two orgs, to check that neither sees the other's files. */
export async function tokensFor(stack: LocalStack): Promise<{ own: string; other: string }> {
  return {
    own: await stack.auth.sign({ org: 'org-a', user: 'alice' }),
    other: await stack.auth.sign({ org: 'org-b', user: 'bob' }),
  };
}
