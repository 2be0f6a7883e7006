import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';
import { FileServiceError } from './errors';
import { unreachable } from './transport';
import { uploadFile, type UploadOptions, type FileEntity } from './upload';
import type { UploadSource } from './sources';

export { FileServiceError, isAbortError } from './errors';
export { fingerprint, memoryResumeStore, webStorageResumeStore, fileResumeStore, defaultResumeStore } from './resume';
export type { ResumeEntry, ResumeStore } from './resume';
export type { UploadSource } from './sources';
export type { UploadOptions, UploadProgress, FileEntity } from './upload';
export type { paths, components } from './schema';

export type TokenSource = string | (() => string | Promise<string>);

export interface FileServiceClientOptions {
  /** The API's address, e.g. `https://files.example.com` or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** A bearer token, or a function asked before each request (to refresh it). */
  token?: TokenSource;
  /** The fetch used for the API (not for the bytes sent to S3); default globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface FileServiceClient {
  /** The typed API: `files.api.GET('/v2/files/{id}', { params: { path: { id } } })`. */
  api: Client<paths>;
  baseUrl: string;
  /** Any route, answered as JSON; a non-2xx answer throws a FileServiceError. */
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Uploads a file in one PUT or, above `multipartThresholdBytes`, in resumable parts; answers the saved File entity. */
  uploadFile(source: UploadSource, options?: UploadOptions): Promise<FileEntity>;
}

export function createFileServiceClient(options: FileServiceClientOptions): FileServiceClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetcher = options.fetch ?? ((input: Request | URL | string, init?: RequestInit) => globalThis.fetch(input, init));
  const authorization = async (): Promise<string | undefined> => {
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    return token ? `Bearer ${token}` : undefined;
  };

  const api = createClient<paths>({ baseUrl, fetch: (request: Request) => fetcher(request) });
  api.use({
    async onRequest({ request }) {
      const value = await authorization();
      if (value && !request.headers.has('authorization')) request.headers.set('authorization', value);
      return request;
    },
  });

  async function request<T>(method: string, path: string, init: RequestOptions = {}): Promise<T> {
    const url = new URL(`${baseUrl}${path}`);
    for (const [name, value] of Object.entries(init.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { ...init.headers };
    const value = await authorization();
    if (value) headers.authorization = value;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetcher(url, {
        method,
        headers,
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw new DOMException('The request was aborted', 'AbortError');
      throw unreachable(url.href, error);
    }
    const text = await response.text();
    if (!response.ok) throw FileServiceError.fromAnswer(response.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  return {
    api,
    baseUrl,
    request,
    uploadFile: (source, uploadOptions = {}) => uploadFile({ baseUrl, request }, source, uploadOptions),
  };
}
