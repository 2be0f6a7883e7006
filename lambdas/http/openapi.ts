import * as z from 'zod/mini';
import type { core } from 'zod/mini';
import { operations } from '../operations';
import type { HttpMethod, Operation } from '../operations';
import * as linkRequests from './link-schemas';
import * as requests from './schemas';
import * as responses from './response-schemas';

/**
 * The service's OpenAPI 3.1 document, generated: paths from the operations table
 * (lambdas/operations.ts), every schema from the zod schemas the handlers validate with
 * (./schemas.ts, ./link-schemas.ts) and answer with (./response-schemas.ts). What only a
 * reader needs (operationIds, summaries, the statuses a route can give) is in `routeDocs`
 * below, one entry per route; building the document fails when a route has none, or an
 * entry names no route, so the document cannot drift from the routes.
 */

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers?: Array<{ url: string; description?: string }>;
  tags: Array<{ name: string; description: string }>;
  security: Array<Record<string, string[]>>;
  paths: Record<string, Record<string, JsonSchema>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

const tags = {
  files: 'Files',
  uploads: 'Uploads',
  previews: 'Previews',
  links: 'Public Links',
  session: 'Session',
  docs: 'Documentation',
} as const;
type Tag = (typeof tags)[keyof typeof tags];

const tagDescriptions: Record<Tag, string> = {
  Files:
    'File entities (epilot\'s `file` schema): save, read, list, update, copy, download and delete files and their versions. ' +
    'Every file belongs to the caller\'s org; another org\'s file is a 404 unless it was shared.',
  Uploads:
    'Getting bytes into the bucket before a save: presigned PUT URLs and POST forms, resumable uploads in parts, ' +
    'and the signing calls of an upload a browser makes itself (Uppy).',
  Previews: 'Thumbnails (PNG or JPEG) of images and PDFs, fitted into a box of `w` × `h` pixels and cached.',
  'Public Links': 'Links that open a file without a token, until revoked or expired; and the public URLs of `public-read` files.',
  Session: 'The browser session: a bearer token becomes the HttpOnly cookie `token`, which the GET routes of downloads and previews accept.',
  Documentation: 'This document.',
};

/** Statuses an operation's handler can answer with an ErrorObject, beside the ones every route has. */
type ErrorStatus = 400 | 403 | 404 | 409 | 412 | 413 | 415 | 422;

interface Body {
  readonly schema: core.$ZodType;
  /** The component's name in `#/components/schemas`. */
  readonly component: string;
  readonly required: boolean;
  readonly description?: string;
}

type Success =
  | { readonly kind: 'json'; readonly description: string; readonly component: string; readonly headers?: readonly ResponseHeader[] }
  | { readonly kind: 'empty'; readonly description: string; readonly headers?: readonly ResponseHeader[] }
  | { readonly kind: 'redirect'; readonly description: string }
  | { readonly kind: 'image'; readonly description: string }
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'document'; readonly description: string };

type ResponseHeader = 'etag' | 'set-cookie' | 'cache-control';

export interface RouteDoc {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly tag: Tag;
  /** The path clients call, when it is not the route's (copyFile's `{id}:copy` segment). */
  readonly path?: string;
  readonly body?: Body;
  readonly query?: core.$ZodType;
  readonly responses: Readonly<Record<number, Success>>;
  readonly errors: readonly ErrorStatus[];
  readonly deprecated?: boolean;
}

const fileId = 'The file\'s id (`_id`), a UUID.';
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'The ETag of the file as the client read it (or `*`): the change happens only while the file is still in that state, else 412.',
  schema: { type: 'string' },
} as const;

const entity = (description: string, headers?: readonly ResponseHeader[]): Success => ({
  kind: 'json',
  description,
  component: 'FileEntity',
  ...(headers ? { headers } : {}),
});
const preview: Readonly<Record<number, Success>> = {
  200: { kind: 'image', description: 'The thumbnail, PNG or JPEG, with its ETag; `X-Preview-Cache` says whether it was kept already.' },
  302: { kind: 'redirect', description: 'The file itself is the preview (a small image): a short-lived URL of its bytes.' },
  304: { kind: 'not-modified' },
};

/** Documentation of every route, keyed `METHOD path` as the operations table lists routes. */
export const routeDocs: Readonly<Record<string, RouteDoc>> = {
  'POST /v1/files/upload': {
    operationId: 'uploadFile',
    summary: 'Start an upload (v1)',
    description: 'As uploadFileV2, kept for epilot clients of the v1 route.',
    tag: tags.uploads,
    body: { schema: requests.uploadBody, component: 'UploadFilePayload', required: true },
    query: requests.uploadQuery,
    responses: { 201: { kind: 'json', description: 'Where to send the bytes.', component: 'UploadTicket' } },
    errors: [400, 404, 413, 415],
    deprecated: true,
  },
  'POST /v2/files/upload': {
    operationId: 'uploadFileV2',
    summary: 'Start an upload',
    description:
      'A presigned PUT URL for a new temporary object (`upload_method: "post"`: a presigned POST form; `"multipart"`: a resumable upload ' +
      'in parts, the default above the multipart threshold). Send the bytes there, then call saveFileV2 with the `s3ref`. ' +
      'With `file_entity_id`, the upload becomes a new version of that file.',
    tag: tags.uploads,
    body: { schema: requests.uploadBody, component: 'UploadFilePayload', required: true },
    query: requests.uploadQuery,
    responses: { 201: { kind: 'json', description: 'Where to send the bytes.', component: 'UploadTicket' } },
    errors: [400, 404, 413, 415],
  },
  'POST /v1/files': {
    operationId: 'saveFile',
    summary: 'Save a file (v1)',
    description: 'As saveFileV2, kept for epilot clients of the v1 route.',
    tag: tags.files,
    body: { schema: requests.saveBody, component: 'SaveFilePayload', required: true },
    query: requests.saveQuery,
    responses: {
      200: entity('A new version of an existing file, or its metadata changed.', ['etag']),
      201: entity('A new file.'),
    },
    errors: [400, 403, 404, 409, 412, 413, 415, 422],
    deprecated: true,
  },
  'POST /v2/files': {
    operationId: 'saveFileV2',
    summary: 'Save a file',
    description:
      'Turns an upload (`s3ref`), bytes sent inline (`content_base64`, at most 4 MiB) or a URL the service fetches (`source_url`) ' +
      'into a file, or with `_id`/`file_entity_id` into a new version of one. With only `_id` and metadata, changes the metadata (If-Match applies).',
    tag: tags.files,
    body: { schema: requests.saveBody, component: 'SaveFilePayload', required: true },
    query: requests.saveQuery,
    responses: {
      200: entity('A new version of an existing file, or its metadata changed.', ['etag']),
      201: entity('A new file.'),
    },
    errors: [400, 403, 404, 409, 412, 413, 415, 422],
  },
  'GET /v1/files/{id}': {
    operationId: 'getFileV1',
    summary: 'Get a file (v1)',
    description: 'As getFile, on the v1 path.',
    tag: tags.files,
    responses: { 200: entity('The file with its versions, newest first.', ['etag']) },
    errors: [400],
  },
  'GET /v2/files/{id}': {
    operationId: 'getFile',
    summary: 'Get a file',
    description: 'The file entity with its newest versions (at most 100; listFileVersions pages through all) and its ETag for If-Match.',
    tag: tags.files,
    responses: { 200: entity('The file with its versions, newest first.', ['etag']) },
    errors: [400],
  },
  'PATCH /v2/files/{id}': {
    operationId: 'updateFile',
    summary: 'Update a file\'s metadata',
    description: 'Changes only the fields sent (at least one); any other field is refused. With If-Match, only while the file is unchanged.',
    tag: tags.files,
    body: { schema: requests.patchBody, component: 'UpdateFilePayload', required: true },
    responses: { 200: entity('The file as updated, with its new ETag.', ['etag']) },
    errors: [400, 403, 409, 412, 413],
  },
  'GET /v2/files': {
    operationId: 'listFiles',
    summary: 'List files',
    description: 'The org\'s files (or, with `shared=true`, other orgs\' files shared with the caller), filtered and ordered, a page at a time.',
    tag: tags.files,
    query: requests.listQuery,
    responses: { 200: { kind: 'json', description: 'A page of files.', component: 'FilePage' } },
    errors: [400],
  },
  'GET /v1/files/{id}/versions': {
    operationId: 'listFileVersions',
    summary: 'List a file\'s versions',
    description: 'Every version of the file, newest first, a page at a time.',
    tag: tags.files,
    query: requests.versionsQuery,
    responses: { 200: { kind: 'json', description: 'A page of versions.', component: 'VersionPage' } },
    errors: [400],
  },
  'POST /v1/files:batchGet': {
    operationId: 'batchGetFiles',
    summary: 'Get many files',
    description: 'Up to 100 files at once, in the order asked; ids not found (or not visible) are listed apart.',
    tag: tags.files,
    body: { schema: requests.batchGetBody, component: 'BatchGetFilesPayload', required: true },
    responses: { 200: { kind: 'json', description: 'The files found and the ids not found.', component: 'BatchGetFilesResult' } },
    errors: [400, 413],
  },
  'DELETE /v1/files/{id}': {
    operationId: 'deleteFileV1',
    summary: 'Delete a file (v1)',
    description: 'As deleteFile, on the v1 path.',
    tag: tags.files,
    responses: { 200: entity('The file as it was deleted.') },
    errors: [400, 403],
  },
  'DELETE /v2/files/{id}': {
    operationId: 'deleteFile',
    summary: 'Delete a file',
    description: 'Deletes the file and the bytes of every version and preview.',
    tag: tags.files,
    responses: { 200: entity('The file as it was deleted.') },
    errors: [400, 403],
  },
  'GET /v1/files/{id}/download': {
    operationId: 'downloadFile',
    summary: 'Download a file',
    description: 'A short-lived presigned URL of one version (0 = the latest). Also reached with the session cookie.',
    tag: tags.files,
    query: requests.downloadQuery,
    responses: { 200: { kind: 'json', description: 'The download URL.', component: 'DownloadUrl' } },
    errors: [400],
  },
  'POST /v1/files:downloadFiles': {
    operationId: 'downloadFiles',
    summary: 'Download many files',
    description: 'Download URLs for up to 100 files at once, in the order asked; a file that cannot be downloaded gets an error entry.',
    tag: tags.files,
    body: { schema: requests.downloadFilesBody, component: 'DownloadFilesPayload', required: true },
    responses: { 200: { kind: 'json', description: 'One entry per file asked for.', component: 'DownloadFilesResult' } },
    errors: [400, 413],
  },
  'GET /v1/files/public/{id}': {
    operationId: 'getPublicFile',
    summary: 'Open a public file',
    description: 'No token: a `public-read` file\'s `public_url` redirects to its latest version; a private file is a 403.',
    tag: tags.links,
    query: linkRequests.publicFileQuery,
    responses: { 302: { kind: 'redirect', description: 'A short-lived URL of the file\'s bytes.' } },
    errors: [400, 403],
  },
  'POST /v1/files/{id}/public/links': {
    operationId: 'generatePublicLink',
    summary: 'Make a public link',
    description: 'A link that opens the file\'s latest version without a token, until revoked or `expires_at`. Only those who may change the file may make one.',
    tag: tags.links,
    body: { schema: linkRequests.generateLinkBody, component: 'GeneratePublicLinkPayload', required: false },
    responses: { 201: { kind: 'json', description: 'The link\'s URL.', component: 'PublicLinkUrl' } },
    errors: [400, 403, 409, 413],
  },
  'GET /v1/files/{id}/public/links': {
    operationId: 'listPublicLinksForFile',
    summary: 'List a file\'s public links',
    description: 'The file\'s live links and when each was last opened.',
    tag: tags.links,
    responses: { 200: { kind: 'json', description: 'The live links.', component: 'PublicLinks' } },
    errors: [400],
  },
  'GET /v1/files/public/links/{id}/{filename}': {
    operationId: 'accessPublicLink',
    summary: 'Open a public link',
    description: 'No token: redirects to the linked file\'s latest version. The filename only names the download; the id alone decides.',
    tag: tags.links,
    responses: { 302: { kind: 'redirect', description: 'A short-lived URL of the file\'s bytes.' } },
    errors: [],
  },
  'DELETE /v1/files/public/links/{id}': {
    operationId: 'revokePublicLink',
    summary: 'Revoke a public link',
    description: 'The link stops working at once.',
    tag: tags.links,
    responses: { 204: { kind: 'empty', description: 'Revoked.' } },
    errors: [400, 403],
  },
  'POST /v2/files/upload/refresh': {
    operationId: 'refreshUpload',
    summary: 'Sign an upload again',
    description: 'A new URL (or form) for an upload not saved yet, signed as the first one was; 404 once it was saved or expired.',
    tag: tags.uploads,
    body: { schema: requests.refreshBody, component: 'RefreshUploadPayload', required: true },
    responses: { 200: { kind: 'json', description: 'Where to send the bytes.', component: 'SingleUploadTicket' } },
    errors: [400, 413],
  },
  'POST /v1/files/upload/sign': {
    operationId: 'signUploadRequest',
    summary: 'Sign one S3 call of an upload',
    description: 'A presigned URL for one S3 call of the caller\'s own upload (temp keys only), answered as Uppy\'s `signRequest` expects.',
    tag: tags.uploads,
    body: { schema: requests.signRequestBody, component: 'SignUploadRequestPayload', required: true },
    responses: { 200: { kind: 'json', description: 'The signed request.', component: 'SignedUploadRequest' } },
    errors: [400, 403, 413, 415],
  },
  'POST /v1/files/upload/{upload_id}/parts': {
    operationId: 'presignUploadParts',
    summary: 'Sign parts of a multipart upload',
    description: 'PUT URLs for up to 1,000 parts of a multipart upload of the caller\'s org.',
    tag: tags.uploads,
    body: { schema: requests.partNumbersBody, component: 'PresignUploadPartsPayload', required: true },
    responses: { 200: { kind: 'json', description: 'A URL per part.', component: 'UploadPartUrls' } },
    errors: [400, 413],
  },
  'GET /v1/files/upload/{upload_id}/parts': {
    operationId: 'listUploadParts',
    summary: 'List the parts of a multipart upload',
    description: 'The parts S3 holds, so a client resumes with the others.',
    tag: tags.uploads,
    responses: { 200: { kind: 'json', description: 'The parts held.', component: 'UploadParts' } },
    errors: [400],
  },
  'DELETE /v1/files/upload/{upload_id}': {
    operationId: 'abortUpload',
    summary: 'Abort a multipart upload',
    description: 'S3 frees its parts; it can no longer be saved.',
    tag: tags.uploads,
    responses: { 204: { kind: 'empty', description: 'Aborted.' } },
    errors: [400],
  },
  'GET /v1/files/{id}/preview': {
    operationId: 'previewFile',
    summary: 'Preview a file',
    description: 'A thumbnail of one version (0 = the latest), fitted into `w` × `h` (default 300 × 300). Also reached with the session cookie.',
    tag: tags.previews,
    query: requests.previewQuery,
    responses: preview,
    errors: [400, 415, 422],
  },
  'POST /v1/files:previewS3': {
    operationId: 'previewS3File',
    summary: 'Preview an object by s3ref',
    description: 'A thumbnail of an upload of the caller\'s org or a version of a file they may view, named by its s3ref.',
    tag: tags.previews,
    body: { schema: requests.previewS3Body, component: 'S3Ref', required: true },
    query: requests.previewBoxQuery,
    responses: preview,
    errors: [400, 413, 415, 422],
  },
  'GET /v1/files:previewS3': {
    operationId: 'previewS3FileGet',
    summary: 'Preview an object by s3ref (GET)',
    description: 'As previewS3File, the s3ref in the query, for an `<img src>`. Also reached with the session cookie.',
    tag: tags.previews,
    query: requests.previewS3Query,
    responses: preview,
    errors: [400, 415, 422],
  },
  'GET /v1/files/public/{id}/preview': {
    operationId: 'previewPublicFile',
    summary: 'Preview a public file',
    description: 'No token: a thumbnail of a `public-read` file of the org; a private file is a 403.',
    tag: tags.previews,
    query: requests.publicPreviewQuery,
    responses: preview,
    errors: [400, 403, 415, 422],
  },
  'POST /v1/files:downloadS3': {
    operationId: 'downloadS3File',
    summary: 'Download an object by s3ref',
    description: 'A presigned URL of an upload of the caller\'s org or a version of a file they may view, named in the query.',
    tag: tags.files,
    query: requests.downloadS3Query,
    responses: { 200: { kind: 'json', description: 'The download URL.', component: 'DownloadUrl' } },
    errors: [400],
  },
  'POST /v2/files/{id}': {
    operationId: 'copyFile',
    summary: 'Copy a file',
    description:
      'A new file from one version of a file (0 = the latest), copied inside the bucket; or with `file_entity_id`, a new version of that file. ' +
      'Metadata sent replaces the source\'s.',
    tag: tags.files,
    path: '/v2/files/{id}:copy',
    body: { schema: requests.copyBody, component: 'CopyFilePayload', required: false },
    responses: {
      200: entity('A new version of the file `file_entity_id` names.'),
      201: entity('A new file.'),
    },
    errors: [400, 403, 409, 413, 415],
  },
  'GET /v1/files/session': {
    operationId: 'getSession',
    summary: 'Start a browser session',
    description: 'The bearer token becomes the HttpOnly cookie `token` for as long as the token lives; the GET routes of downloads and previews accept it.',
    tag: tags.session,
    responses: { 200: { kind: 'empty', description: 'The cookie is set.', headers: ['set-cookie', 'cache-control'] } },
    errors: [],
  },
  'DELETE /v1/files/session': {
    operationId: 'deleteSession',
    summary: 'End a browser session',
    description: 'No token: clears the session cookie.',
    tag: tags.session,
    responses: { 200: { kind: 'empty', description: 'The cookie is cleared.', headers: ['set-cookie', 'cache-control'] } },
    errors: [],
  },
  'GET /openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description: 'No token: the OpenAPI 3.1 document of the API, its `servers` the address it was asked at.',
    tag: tags.docs,
    responses: { 200: { kind: 'document', description: 'The OpenAPI document.' } },
    errors: [],
  },
};

/** Query parameters as OpenAPI types them (after deserialization), where the wire's string means a number or a flag. */
const queryValueTypes: Readonly<Record<string, JsonSchema>> = {
  version: { type: 'integer', minimum: 0, maximum: 999_999_999, default: 0, description: '0 = the latest version, 1 = the one before, ...' },
  w: { type: 'integer', minimum: 1, maximum: 2048, description: 'Width of the box, in pixels.' },
  h: { type: 'integer', minimum: 1, maximum: 2048, description: 'Height of the box, in pixels.' },
  size_min: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Files of at least this many bytes.' },
  size_max: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Files of at most this many bytes.' },
};
/** `limit` differs per route: listFiles 1..100 (25), listFileVersions 1..100 (50). */
const limits: Readonly<Record<string, JsonSchema>> = {
  listFiles: { type: 'integer', minimum: 1, maximum: 100, default: 25, description: 'Files per page.' },
  listFileVersions: { type: 'integer', minimum: 1, maximum: 100, default: 50, description: 'Versions per page.' },
};

const pathParameters: Readonly<Record<string, JsonSchema>> = {
  id: { type: 'string', description: fileId },
  upload_id: { type: 'string', description: 'The `upload_id` uploadFile answered, a UUID.' },
  filename: { type: 'string', description: 'Names the download; any value opens the link.' },
};
const linkIdDescription = 'The link\'s id: the 32 characters after `/links/` in its URL.';
/** The operations whose `{id}` is a public link's, not a file's. */
const linkOperations = new Set(['accessPublicLink', 'revokePublicLink']);

const errorResponses: Readonly<Record<number, { name: string; description: string }>> = {
  400: { name: 'BadRequest', description: 'The request is not valid: the error says which part and why.' },
  401: { name: 'Unauthorized', description: 'No bearer token, or one that is not valid (API Gateway\'s JWT authorizer).' },
  403: {
    name: 'Forbidden',
    description: 'The token lacks the org or user claim, the caller may view but not change the file, or (cookie routes) the session authorizer refused.',
  },
  404: { name: 'NotFound', description: 'No such file, upload or link, or one of another org; or no such route.' },
  409: { name: 'Conflict', description: 'A concurrent write won; the same request may be retried.' },
  412: { name: 'PreconditionFailed', description: 'If-Match names a state of the file that is no longer its current one.' },
  413: { name: 'PayloadTooLarge', description: 'The body, the declared size or the file is over a limit.' },
  415: { name: 'UnsupportedMediaType', description: 'The file\'s type is not allowed, or has no preview.' },
  422: { name: 'Unprocessable', description: 'The file cannot be had or processed as asked: a `source_url` that does not deliver it, or a file too big to preview.' },
  429: { name: 'TooManyRequests', description: 'The route\'s throttle (the stage\'s, or a public route\'s own) is exhausted; retry later.' },
  500: { name: 'InternalServerError', description: 'An internal error; nothing about it is shown.' },
  503: { name: 'ServiceUnavailable', description: 'Storage did not answer in time, or the function timed out: retry the same request.' },
};

/**
 * What the fields of the request bodies mean, for readers of the document. The request schemas
 * are the handlers' validation and stay free of prose; a field named here that a schema does
 * not have fails the build of the document.
 */
const fieldDescriptions: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  UploadFilePayload: {
    filename: 'The file\'s name; the upload\'s key ends with it.',
    mime_type: 'Signed into the upload URL: S3 refuses another Content-Type. Empty or left out: an untyped upload, typed at save from its bytes or name.',
    size_bytes: 'The exact size: signed into a PUT URL, the limit of a POST form; above the multipart threshold the upload is made in parts.',
    upload_method: '`put` (default): a presigned PUT URL; `post`: a presigned form whose policy S3 enforces; `multipart`: a resumable upload in parts.',
    checksum_sha256: 'Base64 SHA-256 of the bytes, signed into the PUT URL: S3 refuses other bytes, and the version keeps it.',
    checksum_algorithm: 'A multipart upload\'s: `SHA256` makes every part carry its own SHA-256, given to presignUploadParts.',
    index_tag: 'Accepted for epilot clients; not used.',
    metadata: 'Accepted for epilot clients; not used.',
  },
  SaveFilePayload: {
    _id: 'Adds a version to this file (or, without bytes, changes its metadata) instead of creating one.',
    file_entity_id: 'As `_id` (epilot\'s older name).',
    s3ref: 'The upload to save, as uploadFile answered it.',
    content_base64: 'The file itself, base64, instead of an s3ref: at most 4 MiB decoded; `filename` is required.',
    source_url: 'A public https URL the service fetches the file from, instead of an s3ref (plain http only for hosts the operator allows).',
    filename: 'The name to save the file under; default the upload\'s.',
    _title: 'A title; default the filename.',
    type: 'The file\'s kind; default derived from its type.',
    mime_type: 'The type to save; checked against the bytes.',
    access_control: '`public-read` makes `public_url` open the file without a token.',
    _acl: 'Who may view, edit, delete: `org:<org_id>` or `user:<org_id>/<user_id>` per action.',
    access: '`owner`: only the owner and their org\'s admins may use the new file.',
    _owners: 'Who the file is saved for: service tokens and org admins only.',
    _tags: 'Tags, searchable with listFiles `tag`.',
    relations: 'Entities the file belongs to, searchable with listFiles `relation`.',
    custom_download_url: 'An http(s) link clients may show instead of the download URL.',
  },
  UpdateFilePayload: {
    filename: 'A new name (the bytes keep theirs until the next version).',
    _title: 'A new title.',
    _tags: 'The new tags, replacing the old.',
    relations: 'The new relations, replacing the old.',
    access_control: '`public-read` opens `public_url` to anyone; `private` closes it.',
    _acl: 'The new grants; only owners and their org\'s admins may change them.',
    _owners: 'The new owners; only those who may change the grants may change them.',
  },
  CopyFilePayload: {
    version: 'Which version to copy: 0 = the latest (default), 1 = the one before, ...',
    file_entity_id: 'Makes the copy a new version of this file instead of a new file.',
  },
  SignUploadRequestPayload: {
    method: 'The S3 call: PUT (an object or a part), POST (create or complete a multipart upload), GET (list parts), DELETE (abort).',
    key: 'A new object\'s name (the service chooses its key and answers it), or the key it answered.',
    uploadId: 'The multipart upload\'s UploadId, as S3 answered it.',
    partNumber: 'The part to PUT, 1 to 10,000.',
    contentType: 'Signed into the call: S3 refuses another Content-Type.',
    expiresIn: 'Accepted for Uppy; the service decides how long a URL lives.',
  },
  PresignUploadPartsPayload: {
    part_numbers: 'The parts to sign, 1 to 10,000 each, at most 1,000 at a time.',
    checksums_sha256: 'For an upload made with `checksum_algorithm: SHA256`: each part\'s base64 SHA-256, by part number.',
  },
  GeneratePublicLinkPayload: {
    expires_at: 'When the link stops working (ISO 8601 with offset), at most a year ahead; default never.',
  },
};

/** What the query parameters mean, where their type does not say (see queryValueTypes). */
const parameterDescriptions: Readonly<Record<string, string>> = {
  file_entity_id: 'Upload the bytes of a new version of this file.',
  delete_temp_file: 'Remove the upload from the temporary area once saved.',
  version_only: 'Add the version but keep the file\'s own metadata (name, type, size) as it is.',
  attachment: 'Download as an attachment (`Content-Disposition: attachment`); `false` opens safe types in the browser.',
  cursor: 'Where the previous page ended, as it answered `next_cursor`.',
  sort: 'The order: newest first (default), oldest first, by filename, or largest first.',
  q: 'Case-insensitive text in the filename or the title.',
  type: 'Only files of this kind.',
  mime_type: 'Only files of this type (`application/pdf`) or top-level type (`image/*`).',
  extension: 'Only files whose name ends with this extension, any case.',
  created_by: 'Only files created by this user.',
  created_after: 'Only files created at or after this instant (ISO 8601).',
  created_before: 'Only files created before this instant (ISO 8601).',
  tag: 'Only files with this tag.',
  relation: 'Only files related to this entity id.',
  access_control: 'Only `private` or only `public-read` files.',
  shared: 'Other orgs\' files shared with the caller, instead of the org\'s own.',
  org_id: 'The org whose file it is, as its `public_url` names it.',
  bucket: 'The s3ref\'s bucket: this service\'s.',
  key: 'The s3ref\'s key: an upload of the caller\'s org, or a version of a file they may view.',
  s3_bucket: 'The s3ref\'s bucket: this service\'s.',
  s3_key: 'The s3ref\'s key: an upload of the caller\'s org, or a version of a file they may view.',
};

const securitySchemes = {
  EpilotAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token of the configured issuer, in `Authorization: Bearer <token>`. Its org claim decides whose files the caller sees.',
  },
  CookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: 'token',
    description: 'The session cookie getSession sets; accepted by the GET routes of downloadFile, previewFile and previewS3FileGet only.',
  },
};

/** Builds the document; `servers` when the caller knows the API's address. */
export function openApiDocument(options: { servers?: Array<{ url: string; description?: string }> } = {}): OpenApiDocument {
  const routes = routesOf(operations);
  const unknown = Object.keys(routeDocs).filter((key) => !routes.some((route) => route.key === key));
  if (unknown.length > 0) throw new Error(`routeDocs names routes the operations table does not have: ${unknown.join(', ')}`);

  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const doc = routeDocs[route.key];
    if (!doc) throw new Error(`The route ${route.key} (${route.operation.name}) has no entry in routeDocs`);
    const path = doc.path ?? route.path;
    (paths[path] ??= {})[route.method.toLowerCase()] = operationObject(route, doc, path);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'File API',
      version: '1.0.0',
      description:
        'A serverless file service on AWS, compatible with epilot\'s File API: upload to S3 through presigned URLs, save files with ' +
        'versions, list, preview, share by public link, and download. Every route but the public ones needs a bearer JWT.',
    },
    ...(options.servers ? { servers: options.servers } : {}),
    tags: Object.entries(tagDescriptions).map(([name, description]) => ({ name, description })),
    security: [{ EpilotAuth: [] }],
    paths,
    components: {
      schemas: componentSchemas(),
      responses: Object.fromEntries(
        Object.values(errorResponses).map(({ name, description }) => [
          name,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
      securitySchemes,
    },
  };
}

interface DocumentedRoute {
  key: string;
  method: HttpMethod;
  path: string;
  operation: Operation;
}

function routesOf(table: readonly Operation[]): DocumentedRoute[] {
  return table.flatMap((operation) =>
    operation.routes.map((route) => ({ key: `${route.method} ${route.path}`, method: route.method, path: route.path, operation })),
  );
}

function operationObject(route: DocumentedRoute, doc: RouteDoc, path: string): JsonSchema {
  const { operation } = route;
  const cookie = operation.cookie === true && route.method === 'GET';
  const security = operation.public ? [] : cookie ? [{ EpilotAuth: [] }, { CookieAuth: [] }] : undefined;
  const parameters = [
    ...[...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => pathParameter(name as string, operation.name)),
    ...(doc.query ? queryParameters(doc.query, operation.name) : []),
    ...(['updateFile', 'saveFile'].includes(operation.name) ? [ifMatch] : []),
    ...(Object.values(doc.responses).some((success) => success.kind === 'not-modified')
      ? [{ name: 'If-None-Match', in: 'header', required: false, description: 'The ETag of a preview the client holds: 304 while it is current.', schema: { type: 'string' } }]
      : []),
  ];
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: doc.description,
    tags: [doc.tag],
    ...(doc.deprecated ? { deprecated: true } : {}),
    ...(security ? { security } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: doc.body.required,
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${doc.body.component}` } } },
          },
        }
      : {}),
    responses: responsesOf(doc, operation),
  };
}

function pathParameter(name: string, operation: string): JsonSchema {
  const linkId = name === 'id' && linkOperations.has(operation);
  const schema = linkId ? { type: 'string', description: linkIdDescription } : pathParameters[name];
  if (!schema) throw new Error(`No description of the path parameter ${name}`);
  const { description, ...rest } = schema;
  return { name, in: 'path', required: true, description, schema: rest };
}

function queryParameters(query: core.$ZodType, operation: string): JsonSchema[] {
  const schema = z.toJSONSchema(query, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, wire]) => {
    const typed = (name === 'limit' ? limits[operation] : undefined) ?? queryValueTypes[name] ?? flagOf(wire, defaultOf(query, name)) ?? wire;
    const { description = parameterDescriptions[name], ...value } = typed;
    if (typeof description !== 'string') throw new Error(`The query parameter ${name} of ${operation} has no description`);
    return { name, in: 'query', required: required.has(name), description, schema: value };
  });
}

/** `true`/`false` on the wire: a boolean, with the default the schema applies. */
function flagOf(wire: JsonSchema, fallback: unknown): JsonSchema | undefined {
  const values = wire.enum as unknown[] | undefined;
  if (!(values && values.length === 2 && values.includes('true') && values.includes('false'))) return undefined;
  return { type: 'boolean', ...(typeof fallback === 'boolean' ? { default: fallback } : {}) };
}

/** What the query schema makes of a parameter left out: its default, if it has one. */
function defaultOf(query: core.$ZodType, name: string): unknown {
  const shape = (query._zod.def as { shape?: Record<string, core.$ZodType> }).shape;
  const field = shape?.[name];
  if (!field) return undefined;
  const result = z.safeParse(field, undefined);
  return result.success ? result.data : undefined;
}

const headerObjects: Record<ResponseHeader, [string, JsonSchema]> = {
  etag: ['ETag', { description: 'The file\'s current state, for If-Match.', schema: { type: 'string' } }],
  'set-cookie': ['Set-Cookie', { description: 'The session cookie `token` (HttpOnly, Secure, SameSite=None).', schema: { type: 'string' } }],
  'cache-control': ['Cache-Control', { description: '`no-store`.', schema: { type: 'string' } }],
};

function responsesOf(doc: RouteDoc, operation: Operation): JsonSchema {
  const answers: JsonSchema = {};
  for (const [status, success] of Object.entries(doc.responses)) answers[status] = successObject(success);
  // Every route has the stage's throttle (a public route its own, stricter one): any may answer 429.
  const gateway = operation.public ? [404, 429, 500, 503] : [401, 404, 429, 500, 503];
  // Every authorized route checks the token's org and user claims (403); cookie routes' authorizer refuses with 403 too.
  const statuses = new Set<number>([...doc.errors, ...gateway, ...(operation.public ? [] : [403]), ...(doc.body ? [413] : [])]);
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const error = errorResponses[status];
    if (!error) throw new Error(`No error response for status ${status}`);
    answers[String(status)] = { $ref: `#/components/responses/${error.name}` };
  }
  return answers;
}

function successObject(success: Success): JsonSchema {
  switch (success.kind) {
    case 'json':
      return {
        description: success.description,
        ...(success.headers ? { headers: headersOf(success.headers) } : {}),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${success.component}` } } },
      };
    case 'empty':
      return { description: success.description, ...(success.headers ? { headers: headersOf(success.headers) } : {}) };
    case 'redirect':
      return {
        description: success.description,
        headers: {
          Location: { description: 'Where the bytes are.', required: true, schema: { type: 'string' } },
          'Cache-Control': { description: '`no-store`: the URL expires.', schema: { type: 'string' } },
        },
      };
    case 'image':
      return {
        description: success.description,
        headers: {
          ETag: { description: 'The preview\'s, for If-None-Match.', schema: { type: 'string' } },
          'Cache-Control': { description: 'Kept for 5 minutes (`private` unless the file is public).', schema: { type: 'string' } },
          'X-Preview-Cache': { description: '`hit` or `miss`.', schema: { type: 'string', enum: ['hit', 'miss'] } },
        },
        content: {
          'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
          'image/jpeg': { schema: { type: 'string', contentMediaType: 'image/jpeg' } },
        },
      };
    case 'not-modified':
      return { description: 'The preview the client holds (If-None-Match) is current.' };
    case 'document':
      return {
        description: success.description,
        headers: { 'Cache-Control': { description: '`public, max-age=300`.', schema: { type: 'string' } } },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/OpenApiDocument' } } },
      };
  }
}

function headersOf(names: readonly ResponseHeader[]): JsonSchema {
  return Object.fromEntries(names.map((name) => headerObjects[name]));
}

/** Request bodies (as clients send them) and answers (as the service writes them), each a component. */
function componentSchemas(): Record<string, JsonSchema> {
  const inputs = z.registry<{ id: string; description?: string }>();
  for (const doc of Object.values(routeDocs)) {
    if (doc.body && !inputs.has(doc.body.schema)) inputs.add(doc.body.schema, { id: doc.body.component });
  }
  const outputs = z.registry<{ id: string; description?: string }>();
  const named: Array<[core.$ZodType, string, string]> = [
    [responses.fileEntity, 'FileEntity', 'epilot\'s FileEntity: a file, its metadata and its newest versions.'],
    [responses.fileItem, 'FileItem', 'One version of a file.'],
    [responses.uploadTicket, 'UploadTicket', 'Where to send an upload\'s bytes: a URL (or form), or a multipart upload.'],
    [responses.singleUploadTicket, 'SingleUploadTicket', 'A presigned PUT URL, or a POST form (`upload_fields`).'],
    [responses.multipartUploadTicket, 'MultipartUploadTicket', 'A resumable upload in parts.'],
    [responses.partUrls, 'UploadPartUrls', 'A PUT URL per part.'],
    [responses.uploadParts, 'UploadParts', 'The parts S3 holds of a multipart upload.'],
    [responses.signedRequest, 'SignedUploadRequest', 'A signed S3 call (Uppy\'s PresignedResponse).'],
    [responses.downloadUrl, 'DownloadUrl', 'A short-lived presigned GET URL.'],
    [responses.downloadResults, 'DownloadFilesResult', 'One entry per file asked for, in order.'],
    [responses.batchGetResult, 'BatchGetFilesResult', 'The files found and the ids not found.'],
    [responses.filePage, 'FilePage', 'A page of files; `next_cursor` when more may match.'],
    [responses.versionPage, 'VersionPage', 'A page of versions, newest first; `next_cursor` when older ones remain.'],
    [responses.publicLinkUrl, 'PublicLinkUrl', 'A public link\'s URL.'],
    [responses.publicLinks, 'PublicLinks', 'A file\'s live public links.'],
    [responses.errorObject, 'ErrorObject', 'epilot\'s ErrorObject: how the service\'s functions refuse or fail.'],
    [responses.gatewayError, 'GatewayError', 'API Gateway\'s own answer: no route, refused by an authorizer, throttled, too large or timed out.'],
  ];
  for (const [schema, id, description] of named) outputs.add(schema, { id, description });
  const uri = (id: string) => `#/components/schemas/${id}`;
  const generated = {
    ...z.toJSONSchema(inputs, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12', uri }).schemas,
    ...z.toJSONSchema(outputs, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12', uri }).schemas,
  };
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(generated)) {
    // Components live in this document: no dialect or base URI of their own.
    const { $schema: _dialect, $id: _base, id: _id, ...rest } = schema as JsonSchema;
    schemas[id] = rest;
  }
  for (const [component, fields] of Object.entries(fieldDescriptions)) {
    const properties = schemas[component]?.properties as Record<string, JsonSchema> | undefined;
    for (const [field, description] of Object.entries(fields)) {
      const property = properties?.[field];
      if (!property) throw new Error(`${component} has no field ${field} to describe`);
      properties[field] = { ...property, description };
    }
  }
  schemas.Error = {
    description: 'Every error answer: the service\'s ErrorObject, or API Gateway\'s own `{message}`.',
    anyOf: [{ $ref: uri('ErrorObject') }, { $ref: uri('GatewayError') }],
  };
  schemas.OpenApiDocument = {
    description: 'An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0).',
    type: 'object',
    properties: { openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' }, info: { type: 'object' }, paths: { type: 'object' } },
    required: ['openapi', 'info', 'paths'],
  };
  return schemas;
}
