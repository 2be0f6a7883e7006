/** The service's API over fetch, with the bearer token and its `{status, error}` answers as errors. */

export interface S3Ref {
  bucket: string;
  key: string;
}

export interface FileVersionSummary {
  s3ref: S3Ref;
  filename?: string;
  size_bytes?: number;
  mime_type?: string;
}

export interface FileEntity {
  _id: string;
  _org?: string;
  _title?: string;
  _tags?: string[];
  _created_at?: string;
  _updated_at?: string;
  filename: string;
  type?: string;
  mime_type?: string;
  size_bytes?: number;
  readable_size?: string;
  access_control?: 'private' | 'public-read';
  public_url?: string;
  s3ref?: S3Ref;
  versions?: FileVersionSummary[];
}

export interface FileVersion {
  version: number;
  filename?: string;
  size_bytes?: number;
  readable_size?: string;
  mime_type?: string;
  created_at?: string;
}

export interface PublicLink {
  id: string;
  link: string;
  last_accessed_at?: string;
  expires_at?: string;
}

export interface Page<T> {
  results: T[];
  next_cursor?: string;
}

/** An answer other than 2xx, with the message the API gave. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiSession {
  apiUrl: string;
  token: string;
}

type Query = Record<string, string | number | undefined>;

/**
 * The org the token names in its `org_id` claim (the default tenant claim), read without
 * verifying: only to tell the caller's own files from files other orgs shared. Undefined when
 * the token is not a JWT or uses another claim; the API still decides what is allowed.
 */
export function tokenOrg(token: string): string | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const org = (JSON.parse(json) as { org_id?: unknown }).org_id;
    return typeof org === 'string' ? org : undefined;
  } catch {
    return undefined;
  }
}

export function apiUrl(session: ApiSession, path: string, query: Query = {}): string {
  const url = new URL(session.apiUrl + path);
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(name, String(value));
  return url.toString();
}

export async function request(session: ApiSession, method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(apiUrl(session, path, options.query), {
      method,
      headers: {
        authorization: `Bearer ${session.token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, `Could not reach the API at ${session.apiUrl} (network error, or CORS does not allow this page's origin)`);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function requestJson<T>(session: ApiSession, method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const response = await request(session, method, path, options);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The API's message: the service's `{status, error}`, or API Gateway's `{message}`. */
export async function errorOf(response: Response): Promise<ApiError> {
  let detail = '';
  try {
    const body = (await response.json()) as { error?: unknown; message?: unknown };
    detail = typeof body.error === 'string' ? body.error : typeof body.message === 'string' ? body.message : '';
  } catch {
    // Not JSON: the status says enough.
  }
  if (response.status === 401) detail = 'The API refused the token (expired, or not valid for this API). Sign out and sign in again.';
  return new ApiError(response.status, `${response.status} ${detail || response.statusText || 'Request failed'}`);
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
