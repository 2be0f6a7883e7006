import { randomUUID } from 'node:crypto';
import { SmokeClient } from './http';
import type { Reply } from './http';

/**
 * The smoke test's checks, in the order they run: the whole flow of a file against a live
 * deployment, then the answers clients must expect from API Gateway and from the handlers.
 * A check throws to fail; later checks that need what it would have made fail as "not run".
 * To add a check, add an entry to `checks`.
 */

export interface SmokeOptions {
  url: string;
  token: string;
  /** A token of another org, for the isolation check; without it that check is skipped. */
  otherToken?: string;
  timeoutMs: number;
}

export interface Check {
  name: string;
  /** Needs --other-token; skipped without it. */
  needsOtherToken?: boolean;
  run(context: Context): Promise<void>;
}

interface Ticket {
  s3ref: { bucket: string; key: string };
  upload_url: string;
}

/** What the flow has made so far, shared by the checks that follow. */
class Context {
  readonly client: SmokeClient;
  readonly filename = `smoke-${randomUUID()}.txt`;
  readonly first = Buffer.from(`smoke test, first version, ${new Date().toISOString()}\n`);
  readonly second = Buffer.from(`smoke test, second version, ${randomUUID()}\n`);
  ticket?: Ticket;
  fileId?: string;
  deleted = false;

  constructor(readonly options: SmokeOptions) {
    this.client = new SmokeClient(options.url.replace(/\/+$/, ''), options.timeoutMs);
  }

  /** A call to the API as the own org (default), the other org, or without a token. */
  api(method: string, path: string, body?: { json?: unknown; raw?: string }, as: 'own' | 'other' | 'anonymous' = 'own') {
    const token = as === 'own' ? this.options.token : as === 'other' ? this.options.otherToken : undefined;
    return this.client.api(method, path, { ...body, ...(token ? { token } : {}) });
  }

  need<K extends 'ticket' | 'fileId'>(key: K): NonNullable<Context[K]> {
    const value = this[key];
    if (value === undefined || value === null) throw new Error(`not run: needs ${key === 'ticket' ? 'an upload' : 'a saved file'}, which an earlier check did not make`);
    return value as NonNullable<Context[K]>;
  }
}

function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) throw new Error(`${what}: expected ${status}, got ${reply.status} ${reply.text.slice(0, 300)}`);
}

/** One of API Gateway's own answers: `{"message": ...}`. */
function expectGatewayAnswer(reply: Reply, status: number, message: string): void {
  expectStatus(reply, status, 'status');
  const body = reply.json as { message?: unknown } | undefined;
  if (body?.message !== message || Object.keys(body).length !== 1) {
    throw new Error(`expected {"message":"${message}"}, got ${reply.text.slice(0, 300)}`);
  }
}

/** A handler's refusal: `{status, error}` with the same status. */
function expectErrorObject(reply: Reply, status: number): void {
  expectStatus(reply, status, 'status');
  const body = reply.json as { status?: unknown; error?: unknown } | undefined;
  if (body?.status !== status || typeof body.error !== 'string' || body.error === '') {
    throw new Error(`expected {"status":${status},"error":"..."}, got ${reply.text.slice(0, 300)}`);
  }
}

function entityOf(reply: Reply): { _id?: unknown; versions?: unknown[]; size_bytes?: unknown } {
  return (reply.json ?? {}) as { _id?: unknown; versions?: unknown[]; size_bytes?: unknown };
}

async function upload(context: Context, query = ''): Promise<Ticket> {
  const reply = await context.api('POST', `/v2/files/upload${query}`, { json: { filename: context.filename, mime_type: 'text/plain' } });
  expectStatus(reply, 201, 'upload');
  const ticket = reply.json as Partial<Ticket>;
  if (!ticket.s3ref?.key || !ticket.upload_url?.startsWith('http')) throw new Error(`upload: no s3ref or upload_url in ${reply.text.slice(0, 300)}`);
  return ticket as Ticket;
}

async function put(context: Context, ticket: Ticket, bytes: Buffer): Promise<void> {
  const reply = await context.client.presigned('PUT', ticket.upload_url, { bytes, contentType: 'text/plain' });
  expectStatus(reply, 200, 'PUT to the upload URL');
}

async function downloaded(context: Context, id: string, version: number): Promise<Buffer> {
  const link = await context.api('GET', `/v1/files/${id}/download?version=${version}`);
  expectStatus(link, 200, 'download link');
  const url = (link.json as { download_url?: unknown } | undefined)?.download_url;
  if (typeof url !== 'string') throw new Error(`no download_url in ${link.text.slice(0, 300)}`);
  const { status, bytes } = await context.client.bytes(url);
  if (status !== 200) throw new Error(`GET of the download URL: expected 200, got ${status}`);
  return bytes;
}

function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (!actual.equals(expected)) throw new Error(`${what}: got ${actual.length} bytes that differ from the ${expected.length} uploaded`);
}

const unknownId = '00000000-0000-4000-8000-000000000000';

export const checks: Check[] = [
  {
    name: 'upload: POST /v2/files/upload answers 201 with an s3ref and an upload URL',
    run: async (context) => {
      context.ticket = await upload(context);
    },
  },
  {
    name: 'put: the upload URL takes the bytes without an Authorization header',
    run: async (context) => put(context, context.need('ticket'), context.first),
  },
  {
    name: 'save: POST /v2/files answers 201 with the file entity',
    run: async (context) => {
      const reply = await context.api('POST', '/v2/files', { json: { s3ref: context.need('ticket').s3ref, filename: context.filename } });
      expectStatus(reply, 201, 'save');
      const entity = entityOf(reply);
      if (typeof entity._id !== 'string') throw new Error(`save: no _id in ${reply.text.slice(0, 300)}`);
      context.fileId = entity._id;
      if (entity.size_bytes !== context.first.length) throw new Error(`save: size_bytes ${String(entity.size_bytes)}, uploaded ${context.first.length}`);
    },
  },
  {
    name: 'get: GET /v2/files/{id} answers the saved file',
    run: async (context) => {
      const id = context.need('fileId');
      const reply = await context.api('GET', `/v2/files/${id}`);
      expectStatus(reply, 200, 'get');
      if (entityOf(reply)._id !== id) throw new Error(`get: answered another file: ${reply.text.slice(0, 300)}`);
    },
  },
  {
    name: 'download: the download URL serves the uploaded bytes',
    run: async (context) => expectSameBytes(await downloaded(context, context.need('fileId'), 0), context.first, 'download'),
  },
  {
    // Also proves that API Gateway routes a path with a colon in it.
    name: 'bulk download: POST /v1/files:downloadFiles lists the file with a download URL',
    run: async (context) => {
      const id = context.need('fileId');
      const reply = await context.api('POST', '/v1/files:downloadFiles', { json: [{ id }] });
      expectStatus(reply, 200, 'bulk download');
      const [entry] = (Array.isArray(reply.json) ? reply.json : []) as Array<{ file_entity_id?: unknown; download_url?: unknown }>;
      if (entry?.file_entity_id !== id || typeof entry.download_url !== 'string') {
        throw new Error(`bulk download: expected one entry with a download_url, got ${reply.text.slice(0, 300)}`);
      }
      const { status, bytes } = await context.client.bytes(entry.download_url);
      if (status !== 200) throw new Error(`GET of the bulk download URL: expected 200, got ${status}`);
      expectSameBytes(bytes, context.first, 'bulk download');
    },
  },
  {
    name: 'session: getSession sets the token cookie; downloadFile takes the cookie alone, a delete with it is 401, deleteSession clears it',
    run: async (context) => {
      const id = context.need('fileId');
      const session = await context.api('GET', '/v1/files/session');
      expectStatus(session, 200, 'getSession');
      const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      if (cookie !== `token=${context.options.token}`) throw new Error(`getSession: expected the token as the token cookie, got ${cookie.slice(0, 40)}…`);
      const link = await context.client.api('GET', `/v1/files/${id}/download`, { cookie });
      expectStatus(link, 200, 'download with the session cookie');
      expectGatewayAnswer(await context.client.api('DELETE', `/v2/files/${id}`, { cookie }), 401, 'Unauthorized');
      const ended = await context.api('DELETE', '/v1/files/session', undefined, 'anonymous');
      expectStatus(ended, 200, 'deleteSession');
      if (!/^token=;.*Max-Age=0/.test(ended.headers.get('set-cookie') ?? '')) throw new Error(`deleteSession: the cookie was not cleared: ${ended.headers.get('set-cookie')}`);
    },
  },
  {
    name: 'bad session cookie: the session authorizer answers 403 {"message":"Forbidden"}',
    run: async (context) => {
      const reply = await context.client.api('GET', `/v1/files/${context.need('fileId')}/download`, { cookie: 'token=not.a.token' });
      expectGatewayAnswer(reply, 403, 'Forbidden');
    },
  },
  {
    name: 'new version: an upload for the file, saved with its _id, adds a second version',
    run: async (context) => {
      const id = context.need('fileId');
      const ticket = await upload(context, `?file_entity_id=${id}`);
      await put(context, ticket, context.second);
      const reply = await context.api('POST', '/v2/files', { json: { _id: id, s3ref: ticket.s3ref, filename: context.filename } });
      if (reply.status !== 200 && reply.status !== 201) expectStatus(reply, 200, 'save of the new version');
      const versions = entityOf(reply).versions;
      if (!Array.isArray(versions) || versions.length !== 2) throw new Error(`new version: expected 2 versions, got ${reply.text.slice(0, 300)}`);
      expectSameBytes(await downloaded(context, id, 0), context.second, 'latest version');
    },
  },
  {
    name: 'download version 1: the older version still serves the first bytes',
    run: async (context) => expectSameBytes(await downloaded(context, context.need('fileId'), 1), context.first, 'version 1'),
  },
  {
    // Also proves that API Gateway routes the segment `<id>:copy` to the copy function.
    name: 'copy: POST /v2/files/{id}:copy makes a new file of the latest bytes, deleted again',
    run: async (context) => {
      const reply = await context.api('POST', `/v2/files/${context.need('fileId')}:copy`);
      expectStatus(reply, 201, 'copy');
      const id = entityOf(reply)._id;
      if (typeof id !== 'string' || id === context.need('fileId')) throw new Error(`copy: expected a new file, got ${reply.text.slice(0, 300)}`);
      expectSameBytes(await downloaded(context, id, 0), context.second, 'copy');
      expectStatus(await context.api('DELETE', `/v2/files/${id}`), 200, 'delete of the copy');
    },
  },
  {
    name: 'repeated save: saving the first upload again answers the same file',
    run: async (context) => {
      const reply = await context.api('POST', '/v2/files', { json: { s3ref: context.need('ticket').s3ref, filename: context.filename } });
      if (reply.status !== 200 && reply.status !== 201) expectStatus(reply, 201, 'repeated save');
      const id = entityOf(reply)._id;
      if (id !== context.need('fileId')) throw new Error(`repeated save: answered ${String(id)} instead of ${context.need('fileId')}`);
    },
  },
  {
    name: "other org: another org's token gets 404 for the file and its download",
    needsOtherToken: true,
    run: async (context) => {
      const id = context.need('fileId');
      expectErrorObject(await context.api('GET', `/v2/files/${id}`, undefined, 'other'), 404);
      expectErrorObject(await context.api('GET', `/v1/files/${id}/download`, undefined, 'other'), 404);
    },
  },
  {
    name: 'delete: DELETE /v2/files/{id} answers 200',
    run: async (context) => {
      const reply = await context.api('DELETE', `/v2/files/${context.need('fileId')}`);
      expectStatus(reply, 200, 'delete');
      context.deleted = true;
    },
  },
  {
    name: 'deleted: GET /v2/files/{id} then answers 404 {status, error}',
    run: async (context) => {
      const id = context.need('fileId');
      if (!context.deleted) throw new Error('not run: the file was not deleted');
      expectErrorObject(await context.api('GET', `/v2/files/${id}`), 404);
    },
  },
  {
    name: 'no token: API Gateway answers 401 {"message":"Unauthorized"}',
    run: async (context) => expectGatewayAnswer(await context.api('GET', `/v2/files/${unknownId}`, undefined, 'anonymous'), 401, 'Unauthorized'),
  },
  {
    name: 'unknown route: API Gateway answers 404 {"message":"Not Found"}',
    run: async (context) => expectGatewayAnswer(await context.api('GET', '/v2/no-such-route'), 404, 'Not Found'),
  },
  {
    name: 'wrong method: API Gateway answers 404 {"message":"Not Found"}, not 405',
    run: async (context) => expectGatewayAnswer(await context.api('PUT', `/v2/files/${unknownId}`), 404, 'Not Found'),
  },
  {
    name: 'bad JSON: POST /v2/files/upload answers 400 {status, error}',
    run: async (context) => expectErrorObject(await context.api('POST', '/v2/files/upload', { raw: '{"filename":' }), 400),
  },
  {
    name: 'OpenAPI: GET /openapi.json answers the document without a token, its server the API\'s own address',
    run: async (context) => {
      const reply = await context.api('GET', '/openapi.json', undefined, 'anonymous');
      expectStatus(reply, 200, 'GET /openapi.json');
      const document = JSON.parse(reply.text) as { openapi?: string; servers?: Array<{ url?: string }> };
      if (document.openapi !== '3.1.0') throw new Error(`GET /openapi.json: expected OpenAPI 3.1.0, got ${String(document.openapi)}`);
      const server = document.servers?.[0]?.url;
      if (server !== context.options.url.replace(/\/+$/, '')) throw new Error(`GET /openapi.json: servers names ${String(server)}, not ${context.options.url}`);
    },
  },
];

export interface CheckResult {
  name: string;
  outcome: 'ok' | 'FAIL' | 'skip';
  reason?: string;
}

/** Runs every check in order, reporting each as it ends, then deletes what a failed run left. */
export async function runChecks(
  options: SmokeOptions,
  report: (result: CheckResult) => void,
  list: readonly Check[] = checks,
): Promise<CheckResult[]> {
  const context = new Context(options);
  const results: CheckResult[] = [];
  for (const check of list) {
    let result: CheckResult;
    if (check.needsOtherToken && !options.otherToken) {
      result = { name: check.name, outcome: 'skip', reason: 'no --other-token given' };
    } else {
      try {
        await check.run(context);
        result = { name: check.name, outcome: 'ok' };
      } catch (error) {
        result = { name: check.name, outcome: 'FAIL', reason: reasonOf(error, options.timeoutMs) };
      }
    }
    results.push(result);
    report(result);
  }
  if (context.fileId && !context.deleted) {
    await context.api('DELETE', `/v2/files/${context.fileId}`).catch(() => undefined);
  }
  return results;
}

function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  if (error instanceof TypeError && error.cause instanceof Error) return `${error.message}: ${error.cause.message}`;
  return error instanceof Error ? error.message : String(error);
}
