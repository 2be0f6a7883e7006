import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';
import { Api, downloadBytes, uploadFile } from './support/api';
import type { ApiResponse, Entity, Ticket } from './support/api';
import { expectRefusal, stageUpload } from './support/requests';
import { Storage } from './support/storage';
import { principals as sharedPrincipals, tokensOf } from './support/tokens';

/**
 * Every route against every caller: the org that owns the file, another org, and each way a
 * token can be wrong. Each cell's status is written out in the table below. Outside the own
 * org's cells nothing in the bucket or the table changes, and the own file stays intact.
 */

/** The shared principals, and a token that carries no org_id claim at all (not even ""). */
const principals = [...sharedPrincipals, 'a token with no org_id claim'] as const;
type Principal = (typeof principals)[number];

let stack: LocalStack;
let tokens: Record<Principal, string | undefined>;
/** org-a, which owns every file the cells aim at. */
let owner: Api;
/** org-b, which brings its own upload when it tries to add a version to org-a's file. */
let stranger: Api;
let storage: Storage;
/** The file of org-a that the reading routes aim at; no cell may change it. */
let shared: Target;

beforeAll(async () => {
  stack = await startLocalStack({});
  tokens = {
    ...(await tokensOf(stack)),
    'a token with no org_id claim': await stack.auth.signClaims({ sub: 'alice' }),
  };
  owner = new Api(stack.url, tokens['the own org']);
  stranger = new Api(stack.url, tokens['another org']);
  storage = new Storage(stack);
  shared = await freshFile('shared.txt', 'org-a only');
});

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

/** What one cell aims at: a file of org-a with its bytes, and for saves, an unsaved upload. */
interface Target {
  file: Entity;
  bytes: string;
  upload?: Ticket;
  /** A public link to `file`, for the link routes. */
  link?: string;
  /** The file whose bytes a copy into `file` takes. */
  source?: Entity;
  /** An unsaved multipart upload of org-a, with one part uploaded. */
  multipart?: { upload_id: string; s3ref: { bucket: string; key: string } };
}

interface Route {
  /** Whether the own org's call changes storage; such routes get fresh fixtures per cell. */
  mutates: boolean;
  prepare(principal: Principal): Promise<Target>;
  call(api: Api, target: Target, principal: Principal): Promise<ApiResponse<unknown>>;
  /** What a caller whose cell is a 2xx gets back. */
  succeeded(response: ApiResponse<unknown>, target: Target, principal: Principal): Promise<void>;
  /**
   * Behind the session authorizer (a route that also takes the session cookie): API Gateway
   * answers its refusal 403 {"message":"Forbidden"} in place of the JWT authorizer's 401.
   */
  sessionAuthorizer?: true;
}

async function freshFile(filename: string, bytes: string): Promise<Target> {
  return { file: await uploadFile(owner, { filename, mimeType: 'text/plain', bytes: Buffer.from(bytes) }), bytes };
}

function freshUpload(api: Api): Promise<Ticket> {
  return stageUpload(api, { filename: 'upload.txt', mimeType: 'text/plain', bytes: 'unsaved bytes' });
}

/** A multipart upload of org-a holding one small part: `multipart bytes`. */
async function freshMultipartUpload(): Promise<Target> {
  const ticket = await owner.post<{ upload_id: string; s3ref: { bucket: string; key: string } }>('/v2/files/upload', {
    filename: 'parts.txt',
    mime_type: 'text/plain',
    upload_method: 'multipart',
  });
  const urls = await owner.post<{ parts: Array<{ url: string }> }>(`/v1/files/upload/${ticket.body.upload_id}/parts`, { part_numbers: [1] });
  const put = await fetch(urls.body.parts[0]?.url ?? '', { method: 'PUT', body: 'multipart bytes' });
  if (put.status !== 200) throw new Error(`part PUT: ${put.status}`);
  return { ...shared, multipart: { upload_id: ticket.body.upload_id, s3ref: ticket.body.s3ref } };
}

const refreshUpload: Route = {
  mutates: false,
  prepare: async () => ({ ...shared, upload: await freshUpload(owner) }),
  call: (api, { upload: ticket }) => api.post('/v2/files/upload/refresh', { s3ref: ticket?.s3ref }),
  succeeded: async (response, { upload: ticket }) => {
    expect(response.body).toEqual({ s3ref: ticket?.s3ref, upload_url: expect.stringMatching(/^http/) });
  },
};

const signParts: Route = {
  mutates: false,
  prepare: freshMultipartUpload,
  call: (api, { multipart }) => api.post(`/v1/files/upload/${multipart?.upload_id}/parts`, { part_numbers: [2] }),
  succeeded: async (response, { multipart }) => {
    expect(response.body).toEqual({ upload_id: multipart?.upload_id, parts: [{ part_number: 2, url: expect.stringMatching(/^http.*partNumber=2/) }] });
  },
};

const listParts: Route = {
  mutates: false,
  prepare: freshMultipartUpload,
  call: (api, { multipart }) => api.get(`/v1/files/upload/${multipart?.upload_id}/parts`),
  succeeded: async (response) => {
    expect((response.body as { parts: Array<{ size_bytes: number }> }).parts.map((part) => part.size_bytes)).toEqual([15]);
  },
};

const abortUpload: Route = {
  mutates: true,
  prepare: freshMultipartUpload,
  call: (api, { multipart }) => api.delete(`/v1/files/upload/${multipart?.upload_id}`),
  succeeded: async (_response, { multipart }) => {
    expect((await owner.get(`/v1/files/upload/${multipart?.upload_id}/parts`)).status).toBe(404);
  },
};

const saveMultipart: Route = {
  mutates: true,
  prepare: freshMultipartUpload,
  call: (api, { multipart }) => api.post('/v2/files', { s3ref: multipart?.s3ref }),
  succeeded: async (response, { multipart }) => {
    expect(entityOf(response)).toMatchObject({ _id: multipart?.upload_id, _org: 'org-a', size_bytes: 15, s3ref: multipart?.s3ref });
  },
};

const entityOf = (response: ApiResponse<unknown>) => response.body as Entity;

/** The HTTP API's JWT authorizer refuses before any handler runs, in its own shape. */
function expectGatewayUnauthorized(response: ApiResponse<unknown>): void {
  expect(response.body).toEqual({ message: 'Unauthorized' });
  expect(response.headers.get('content-type')).toBe('application/json');
}

/** The session authorizer refuses before any handler runs: HTTP API's answer to `isAuthorized: false`. */
function expectGatewayForbidden(response: ApiResponse<unknown>): void {
  expect(response.body).toEqual({ message: 'Forbidden' });
  expect(response.headers.get('content-type')).toBe('application/json');
}

const upload = (path: string): Route => ({
  // The own org's upload records its pending upload; the file itself stays as it was.
  mutates: true,
  prepare: async () => shared,
  call: (api, { file }) => api.post(`${path}?file_entity_id=${file._id}`, { filename: 'next.txt', mime_type: 'text/plain' }),
  succeeded: async (response) => {
    expect(response.body).toEqual({
      s3ref: { bucket: stack.bucket, key: expect.stringMatching(/^temp\/org-a\//) },
      upload_url: expect.stringMatching(/^http/),
      public_url: expect.stringMatching(/^http/),
    });
  },
});

const save = (path: string): Route => ({
  mutates: true,
  prepare: async () => ({ ...shared, upload: await freshUpload(owner) }),
  call: (api, { upload: ticket }) => api.post(path, { s3ref: ticket?.s3ref, filename: 'saved.txt' }),
  succeeded: async (response, target) => {
    expect(entityOf(response)).toMatchObject({ _org: 'org-a', filename: 'saved.txt', versions: [expect.anything()] });
    expect(await storage.exists(target.upload?.s3ref.key ?? '')).toBe(false);
  },
});

const saveVersion: Route = {
  mutates: true,
  prepare: async (principal) => ({
    ...(await freshFile('versioned.txt', 'first version')),
    upload: await freshUpload(principal === 'another org' ? stranger : owner),
  }),
  call: (api, { file, upload: ticket }) => api.post('/v2/files', { _id: file._id, s3ref: ticket?.s3ref }),
  succeeded: async (response, { file }) => {
    expect(entityOf(response)).toMatchObject({ _id: file._id, _org: 'org-a' });
    expect(entityOf(response).versions).toHaveLength(2);
  },
};

const copy: Route = {
  mutates: true,
  prepare: async () => shared,
  call: (api, { file }) => api.post(`/v2/files/${file._id}:copy`, { filename: 'copied.txt' }),
  succeeded: async (response, { bytes }) => {
    const copied = entityOf(response);
    expect(copied).toMatchObject({ _org: 'org-a', filename: 'copied.txt' });
    expect((await downloadBytes(owner, copied._id)).toString()).toBe(bytes);
  },
};

/** A copy into org-a's file, from a file of the caller's own org. */
const copyAsVersion: Route = {
  mutates: true,
  prepare: async (principal) => ({
    ...(await freshFile('target.txt', 'the target')),
    source: principal === 'another org' ? await uploadFile(stranger, { filename: 'b.txt', mimeType: 'text/plain', bytes: Buffer.from('org-b bytes') }) : shared.file,
  }),
  call: (api, { file, source }) => api.post(`/v2/files/${source?._id ?? file._id}:copy`, { file_entity_id: file._id }),
  succeeded: async (response, { file }) => {
    expect(entityOf(response)).toMatchObject({ _id: file._id, _org: 'org-a' });
    expect((await downloadBytes(owner, file._id)).toString()).toBe(shared.bytes);
  },
};

const get = (path: string): Route => ({
  mutates: false,
  prepare: async () => shared,
  call: (api, { file }) => api.get(`${path}/${file._id}`),
  succeeded: async (response, { file }) => {
    expect(response.body).toEqual((await owner.get(`/v2/files/${file._id}`)).body);
  },
});

const remove = (path: string): Route => ({
  mutates: true,
  prepare: () => freshFile('doomed.txt', 'to be deleted'),
  call: (api, { file }) => api.delete(`${path}/${file._id}`),
  succeeded: async (response, { file }) => {
    expect(entityOf(response)._id).toBe(file._id);
    expect((await owner.get(`/v2/files/${file._id}`)).status).toBe(404);
    expect(await storage.keys(`files/org-a/${file._id}/`)).toEqual([]);
  },
});

const download: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api, { file }) => api.get(`/v1/files/${file._id}/download`),
  succeeded: async (response, { bytes }) => {
    const { download_url } = response.body as { download_url: string };
    expect(await (await fetch(download_url)).text()).toBe(bytes);
  },
};

/**
 * A thumbnail of a fresh JPEG: the own org's call keeps a preview, so each cell gets its own
 * file, whose default preview (rendered ahead of time from its FileCreated) is kept first.
 */
const preview: Route = {
  mutates: true,
  sessionAuthorizer: true,
  prepare: async () => {
    const bytes = await sharp({ create: { width: 40, height: 20, channels: 3, background: 'blue' } }).jpeg().toBuffer();
    const file = await uploadFile(owner, { filename: 'photo.jpg', mimeType: 'image/jpeg', bytes });
    await stack.events.waitForDelivery((delivery) => delivery.target === 'renderPreviews' && delivery.event.detail.file_id === file._id, 30_000);
    return { file, bytes: bytes.toString() };
  },
  call: async (api, { file }) => {
    const response = await api.raw(`/v1/files/${file._id}/preview?w=20`);
    const bytes = Buffer.from(await response.arrayBuffer());
    const image = response.headers.get('content-type')?.startsWith('image/') ?? false;
    return { status: response.status, headers: response.headers, body: image ? bytes : (JSON.parse(bytes.toString()) as unknown) };
  },
  succeeded: async (response) => {
    expect(await sharp(response.body as Buffer).metadata()).toMatchObject({ format: 'jpeg', width: 20, height: 10 });
  },
};

/** The same thumbnail with the token as the session cookie, as an `<img>` sends it. */
const previewWithCookie: Route = {
  ...preview,
  call: async (api, { file }, principal) => {
    const token = tokens[principal];
    const response = await new Api(api.baseUrl).raw(`/v1/files/${file._id}/preview?w=20`, token === undefined ? {} : { cookie: `token=${token}` });
    const bytes = Buffer.from(await response.arrayBuffer());
    const image = response.headers.get('content-type')?.startsWith('image/') ?? false;
    return { status: response.status, headers: response.headers, body: image ? bytes : (JSON.parse(bytes.toString()) as unknown) };
  },
};

/** The same download with the token as the session cookie, no Authorization header. */
const downloadWithCookie: Route = {
  ...download,
  sessionAuthorizer: true,
  call: async (api, { file }, principal) =>
    new Api(api.baseUrl).request('GET', `/v1/files/${file._id}/download`, undefined, {
      headers: tokens[principal] === undefined ? {} : { cookie: `token=${tokens[principal]}` },
    }),
};

/** getSession turns any valid token into its cookie: there is no file to reach. */
const getSession: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api) => api.get('/v1/files/session'),
  succeeded: async (response, _target, principal) => {
    expect(response.headers.get('set-cookie')).toMatch(new RegExp(`^token=${tokens[principal]?.replace(/\./g, '\\.')}; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=\\d+$`));
  },
};

/** deleteSession has no authorizer: clearing the cookie harms nobody. */
const deleteSession: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api) => api.delete('/v1/files/session'),
  succeeded: async (response) => {
    expect(response.headers.get('set-cookie')).toBe('token=; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=0');
  },
};

/** The OpenAPI document has no authorizer: it is the same for everyone and names no file. */
const openApiDocument: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api) => api.get('/openapi.json'),
  succeeded: async (response) => {
    expect(response.body).toMatchObject({ openapi: '3.1.0', servers: [{ url: stack.url }] });
  },
};

/** The image answer of a preview route, or its JSON refusal. */
async function imageOrError(response: Response): Promise<ApiResponse<unknown>> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const image = response.headers.get('content-type')?.startsWith('image/') ?? false;
  return { status: response.status, headers: response.headers, body: image ? bytes : (JSON.parse(bytes.toString()) as unknown) };
}

const previewByS3Ref: Route = {
  ...preview,
  call: async (api, { file }) =>
    imageOrError(await api.raw(`/v1/files:previewS3?bucket=${file.s3ref.bucket}&key=${encodeURIComponent(file.s3ref.key)}&w=20`)),
};

const downloadByS3Ref: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api, { file }) => api.post(`/v1/files:downloadS3?s3_bucket=${file.s3ref.bucket}&s3_key=${encodeURIComponent(file.s3ref.key)}`),
  succeeded: async (response, { bytes }) => {
    const { download_url } = response.body as { download_url: string };
    expect(await (await fetch(download_url)).text()).toBe(bytes);
  },
};

let publicImage: Promise<Target> | undefined;
/** A public-read image's thumbnail: no authorizer, every caller gets it (kept once, by the first). */
const previewPublic: Route = {
  mutates: false,
  prepare: () =>
    (publicImage ??= sharp({ create: { width: 40, height: 20, channels: 3, background: 'green' } })
      .jpeg()
      .toBuffer()
      .then(async (bytes) => {
        const file = await uploadFile(owner, { filename: 'poster.jpg', mimeType: 'image/jpeg', bytes, extra: { access_control: 'public-read' } });
        // Rendered and kept before the cells run (this size, and the default one ahead of time): no cell changes storage.
        await owner.raw(`/v1/files/public/${file._id}/preview?org_id=org-a&w=20`);
        await stack.events.waitForDelivery((delivery) => delivery.target === 'renderPreviews' && delivery.event.detail.file_id === file._id, 30_000);
        return { file, bytes: bytes.toString() };
      })),
  call: async (_api, { file }, principal) => {
    const token = tokens[principal];
    const response = await fetch(`${stack.url}/v1/files/public/${file._id}/preview?org_id=org-a&w=20`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return imageOrError(response);
  },
  succeeded: async (response) => {
    expect(await sharp(response.body as Buffer).metadata()).toMatchObject({ format: 'jpeg', width: 20, height: 10 });
  },
};

const downloadMany: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api, { file }) => api.post('/v1/files:downloadFiles', [{ id: file._id }]),
  succeeded: async (response, { file }, principal) => {
    expect(response.body).toEqual([
      principal === 'the own org'
        ? { file_entity_id: file._id, download_url: expect.stringMatching(/^http/) }
        : { file_entity_id: file._id, error: { status: 404, error: expect.stringMatching(/\S/) } },
    ]);
  },
};

const listVersions: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api, { file }) => api.get(`/v1/files/${file._id}/versions`),
  succeeded: async (response, { file }) => {
    expect(response.body).toEqual({ results: [expect.objectContaining({ version: 0, s3ref: file.s3ref })] });
  },
};

const batchGet: Route = {
  mutates: false,
  prepare: async () => shared,
  call: (api, { file }) => api.post('/v1/files:batchGet', { ids: [file._id] }),
  succeeded: async (response, { file }, principal) => {
    expect(response.body).toEqual(
      principal === 'the own org'
        ? { results: [(await owner.get(`/v2/files/${file._id}`)).body], not_found: [] }
        : { results: [], not_found: [file._id] },
    );
  },
};

async function linkTo(file: Entity): Promise<string> {
  const made = await owner.post<string>(`/v1/files/${file._id}/public/links`);
  if (made.status !== 201) throw new Error(`link: ${made.status} ${JSON.stringify(made.body)}`);
  return made.body;
}

const linkIdOf = (link: string | undefined) => link?.split('/').at(-2) ?? '';
/** Made once, on first use: a file with one link, and a public-read file. */
let linked: Promise<Target> | undefined;
let publicFile: Promise<Target> | undefined;

const generateLink: Route = {
  mutates: true,
  prepare: async () => shared,
  call: (api, { file }) => api.post(`/v1/files/${file._id}/public/links`),
  succeeded: async (response) => {
    expect(response.body).toEqual(expect.stringMatching(new RegExp(`^${stack.url}/v1/files/public/links/[\\w-]{32}/shared\\.txt$`)));
    expect((await fetch(response.body as string, { redirect: 'manual' })).status).toBe(302);
  },
};

const listLinks: Route = {
  mutates: false,
  prepare: () =>
    (linked ??= freshFile('linked.txt', 'shared by link').then(async (target) => ({ ...target, link: await linkTo(target.file) }))),
  call: (api, { file }) => api.get(`/v1/files/${file._id}/public/links`),
  succeeded: async (response, { link }) => {
    expect(response.body).toEqual({ results: [{ id: linkIdOf(link), link}] });
  },
};

const revokeLink: Route = {
  mutates: true,
  prepare: async () => ({ ...shared, link: await linkTo(shared.file) }),
  call: (api, { link }) => api.delete(`/v1/files/public/links/${linkIdOf(link)}`),
  succeeded: async (response, { link }) => {
    expect(response.body).toBeUndefined();
    expect((await fetch(link ?? '', { redirect: 'manual' })).status).toBe(404);
  },
};

/** No authorizer: whatever token comes along, the file's public_url answers the same. */
const openPublicFile: Route = {
  mutates: false,
  prepare: () =>
    (publicFile ??= uploadFile(owner, { filename: 'public.txt', mimeType: 'text/plain', bytes: Buffer.from('anyone'), extra: { access_control: 'public-read' } })
      .then((file) => ({ file, bytes: 'anyone' }))),
  call: async (_api, { file }, principal) => {
    const token = tokens[principal];
    const response = await fetch(file.public_url as string, { redirect: 'manual', headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
  },
  succeeded: async (response, { bytes }) => {
    expect(await (await fetch(response.headers.get('location') ?? '')).text()).toBe(bytes);
  },
};

const update: Route = {
  mutates: true,
  prepare: () => freshFile('patched.txt', 'metadata changes'),
  call: (api, { file }) => api.patch(`/v2/files/${file._id}`, { _title: 'renamed', _tags: ['mine'] }),
  succeeded: async (response, { file }) => {
    expect(entityOf(response)).toMatchObject({ _id: file._id, _org: 'org-a', _title: 'renamed', _tags: ['mine'] });
  },
};

const saveMetadata: Route = {
  mutates: true,
  prepare: () => freshFile('retitled.txt', 'metadata-only save'),
  call: (api, { file }) => api.post('/v2/files', { _id: file._id, _title: 'retitled' }),
  succeeded: async (response, { file }) => {
    expect(entityOf(response)).toMatchObject({ _id: file._id, _title: 'retitled', versions: [expect.anything()] });
  },
};

/** A listing finds the own org's file, and for anyone else only their own org's files. */
const listing = (query: (target: Target) => string, prepare: () => Promise<Target>): Route => ({
  mutates: false,
  prepare,
  call: (api, target) => api.get(`/v2/files?${query(target)}`),
  succeeded: async (response, { file }, principal) => {
    const { results } = response.body as { results: Entity[] };
    if (principal === 'the own org') expect(results.map((entity) => entity._id)).toContain(file._id);
    else expect(results.filter((entity) => entity._org !== 'org-b')).toEqual([]);
  },
});

let related: Promise<Target> | undefined;
/** An org-a file related to an entity; made once, never changed. */
function relatedFile(): Promise<Target> {
  related ??= (async () => ({
    file: await uploadFile(owner, {
      filename: 'related.txt',
      mimeType: 'text/plain',
      bytes: Buffer.from('related bytes'),
      extra: { relations: [{ entity_id: 'order-isolation' }] },
    }),
    bytes: 'related bytes',
  }))();
  return related;
}

const routes = {
  'POST /v1/files/upload?file_entity_id': upload('/v1/files/upload'),
  'POST /v2/files/upload?file_entity_id': upload('/v2/files/upload'),
  'POST /v1/files': save('/v1/files'),
  'POST /v2/files': save('/v2/files'),
  'POST /v2/files with _id (new version)': saveVersion,
  'POST /v2/files (a multipart upload)': saveMultipart,
  'POST /v2/files/upload/refresh': refreshUpload,
  'POST /v1/files/upload/{upload_id}/parts': signParts,
  'GET /v1/files/upload/{upload_id}/parts': listParts,
  'DELETE /v1/files/upload/{upload_id}': abortUpload,
  'GET /v1/files/{id}': get('/v1/files'),
  'GET /v2/files/{id}': get('/v2/files'),
  'DELETE /v1/files/{id}': remove('/v1/files'),
  'DELETE /v2/files/{id}': remove('/v2/files'),
  'GET /v1/files/{id}/download': { ...download, sessionAuthorizer: true },
  'GET /v1/files/{id}/download with the session cookie': downloadWithCookie,
  'GET /v1/files/{id}/preview': preview,
  'GET /v1/files/{id}/preview with the session cookie': previewWithCookie,
  'GET /v1/files/session': getSession,
  'DELETE /v1/files/session (no authorizer)': deleteSession,
  'GET /openapi.json (no authorizer)': openApiDocument,
  'GET /v1/files:previewS3 (a saved version)': previewByS3Ref,
  'POST /v1/files:downloadS3': downloadByS3Ref,
  'GET /v1/files/public/{id}/preview (no authorizer)': previewPublic,
  'POST /v1/files:downloadFiles': downloadMany,
  'GET /v1/files/{id}/versions': listVersions,
  'POST /v1/files:batchGet': batchGet,
  'POST /v1/files/{id}/public/links': generateLink,
  'GET /v1/files/{id}/public/links': listLinks,
  'DELETE /v1/files/public/links/{id}': revokeLink,
  'GET /v1/files/public/{id}?org_id (no authorizer)': openPublicFile,
  'PATCH /v2/files/{id}': update,
  'POST /v2/files with _id and no s3ref (metadata)': saveMetadata,
  'GET /v2/files?q=': listing(() => 'q=shared.txt', async () => shared),
  'GET /v2/files?relation=': listing(() => 'relation=order-isolation', relatedFile),
  'POST /v2/files/{id}:copy': copy,
  'POST /v2/files/{id}:copy with file_entity_id (new version)': copyAsVersion,
} satisfies Record<string, Route>;

/** One status per principal, in the order of `principals`. */
type Outcomes = readonly [number, number, number, number, number, number, number, number, number, number];

// Saving another org's upload is a 403; every other reach into another org is a 404, like an
// unknown id (a bulk download lists it as a 404 entry, a batch get as not found; another org's
// link is a 404 as well). Bad tokens are 401, answered by the JWT authorizer itself (403 by the
// session authorizer of the routes that also take the session cookie); a valid
// token with an empty or absent org_id is the handler's 403. A public file's public_url has
// no authorizer: every caller gets the same redirect.
const outcomes: Record<keyof typeof routes, Outcomes> = {
  // columns: own org, other org, no token, garbage, other key, expired, edited claims, alg none, org_id "", no org_id
  'POST /v1/files/upload?file_entity_id':  [201, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files/upload?file_entity_id':  [201, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v1/files':                        [201, 403, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files':                        [201, 403, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files with _id (new version)': [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files (a multipart upload)':   [201, 403, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files/upload/refresh':          [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v1/files/upload/{upload_id}/parts': [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/upload/{upload_id}/parts':  [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'DELETE /v1/files/upload/{upload_id}':     [204, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/{id}':                    [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v2/files/{id}':                    [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'DELETE /v1/files/{id}':                 [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'DELETE /v2/files/{id}':                 [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/{id}/download':           [200, 404, 403, 403, 403, 403, 403, 403, 403, 403],
  'GET /v1/files/{id}/download with the session cookie': [200, 404, 403, 403, 403, 403, 403, 403, 403, 403],
  'GET /v1/files/{id}/preview':            [200, 404, 403, 403, 403, 403, 403, 403, 403, 403],
  'GET /v1/files/{id}/preview with the session cookie': [200, 404, 403, 403, 403, 403, 403, 403, 403, 403],
  'GET /v1/files/session':                 [200, 200, 401, 401, 401, 401, 401, 401, 403, 403],
  'DELETE /v1/files/session (no authorizer)': [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
  'GET /openapi.json (no authorizer)':     [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
  'GET /v1/files:previewS3 (a saved version)': [200, 404, 403, 403, 403, 403, 403, 403, 403, 403],
  'POST /v1/files:downloadS3':             [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/public/{id}/preview (no authorizer)': [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
  'POST /v1/files:downloadFiles':          [200, 200, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/{id}/versions':           [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v1/files:batchGet':               [200, 200, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v1/files/{id}/public/links':      [201, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/{id}/public/links':       [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'DELETE /v1/files/public/links/{id}':    [204, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v1/files/public/{id}?org_id (no authorizer)': [302, 302, 302, 302, 302, 302, 302, 302, 302, 302],
  'PATCH /v2/files/{id}':                  [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files with _id and no s3ref (metadata)': [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v2/files?q=':                      [200, 200, 401, 401, 401, 401, 401, 401, 403, 403],
  'GET /v2/files?relation=':               [200, 200, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files/{id}:copy':              [201, 404, 401, 401, 401, 401, 401, 401, 403, 403],
  'POST /v2/files/{id}:copy with file_entity_id (new version)': [200, 404, 401, 401, 401, 401, 401, 401, 403, 403],
};

for (const [name, route] of Object.entries(routes) as Array<[keyof typeof routes, Route]>) {
  describe(name, () => {
    principals.forEach((principal, column) => {
      const status = outcomes[name][column] ?? 0;
      const own = principal === 'the own org';

      it(`answers ${status} to ${principal}${own ? '' : ', leaving storage and the own file untouched'}`, async () => {
        // Prepare
        const target = await route.prepare(principal);
        const before = await storage.snapshot();
        const entityBefore = (await owner.get(`/v2/files/${target.file._id}`)).body;

        // Act
        const response = await route.call(new Api(stack.url, tokens[principal]), target, principal);

        // Assess
        expect(response.status).toBe(status);
        if (status < 400) await route.succeeded(response, target, principal);
        else if (status === 401) expectGatewayUnauthorized(response);
        else if (route.sessionAuthorizer && column >= 2 && column <= 7) expectGatewayForbidden(response);
        else expectRefusal(response, status);
        if (!own || !route.mutates) {
          expect(await storage.snapshot()).toEqual(before);
          expect((await owner.get(`/v2/files/${target.file._id}`)).body).toEqual(entityBefore);
          expect((await downloadBytes(owner, target.file._id)).toString()).toBe(target.bytes);
        }
      });
    });
  });
}
