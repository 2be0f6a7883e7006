/**
 * The one list of the service's operations. The CDK stack builds one Lambda and its routes
 * from each entry, and the local API routes requests with the same table, so the two
 * wirings cannot drift apart.
 */

import type { FileEventType } from './core/events';
import { previewAheadEventTypes } from './core/preview-ahead';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * What an operation's Lambda may do; the stack turns each into the narrowest IAM grant. Table
 * permissions are one DynamoDB action each (a TransactWriteItems needs the action of every
 * item in it), so an operation holds only the calls its code makes; the local stack fails a
 * test when a granted action goes unused.
 */
export type Permission =
  | 'table:get' // GetItem
  | 'table:query' // Query
  | 'table:batch-get' // BatchGetItem
  | 'table:put' // PutItem, also a Put inside a transaction
  | 'table:update' // UpdateItem, also an Update inside a transaction
  | 'table:delete' // DeleteItem, also a Delete inside a transaction
  | 'table:batch-write' // BatchWriteItem
  | 'table:condition-check' // a ConditionCheck inside a transaction
  | 'index:query' // Query on the table's list indexes
  | 'temp:put' // s3:PutObject on temp/* (signing upload URLs, writing direct uploads)
  | 'temp:read' // s3:GetObject on temp/* (HeadObject, first bytes, copy source)
  | 'temp:delete' // s3:DeleteObject on temp/*
  | 'temp:list-parts' // s3:ListMultipartUploadParts on temp/* (a browser resuming its own multipart upload)
  | 'temp:abort' // s3:AbortMultipartUpload on temp/* (a browser's own multipart upload; a source_url whose streamed write fails)
  | 'files:put' // s3:PutObject on permanent keys (copy destination)
  | 'files:read' // s3:GetObject on permanent keys (signing download URLs)
  | 'files:delete' // s3:DeleteObject on permanent keys
  | 'files:list-parts' // s3:ListMultipartUploadParts on permanent keys (multipart uploads are made there)
  | 'files:abort' // s3:AbortMultipartUpload on permanent keys
  | 'previews:read' // s3:GetObject on previews/* (a kept preview)
  | 'previews:put' // s3:PutObject on previews/* (keeping a rendered preview)
  | 'previews:delete' // s3:DeleteObject on previews/* (a deleted file's previews)
  | 'events:put'; // events:PutEvents on the service's event bus

export interface Operation {
  /** epilot operationId(s) this Lambda serves. */
  readonly name: string;
  /** File under lambdas/handlers/ without extension; it exports `handler`. */
  readonly entry: string;
  readonly routes: ReadonlyArray<{ readonly method: HttpMethod; readonly path: string }>;
  readonly permissions: readonly Permission[];
  /**
   * Reached without a token (public files and links): no authorizer on its routes, which
   * are throttled instead.
   */
  readonly public?: boolean;
  /**
   * Its GET routes are also reached with the session cookie (`token`, set by getSession) in
   * place of a bearer token, for what a browser loads without script (`<img src>`). Only
   * reads (GET) may carry it: the cookie goes along with any request to the API, so a route
   * that changes anything must never accept it, and an operation's other routes do not. Its
   * GET routes get the session authorizer (a Lambda authorizer: bearer
   * header if sent, else the cookie) instead of the JWT authorizer; every other route
   * ignores the cookie.
   */
  readonly cookie?: true;
}

export const operations: readonly Operation[] = [
  {
    name: 'uploadFile',
    entry: 'upload-file',
    routes: [
      { method: 'POST', path: '/v1/files/upload' },
      { method: 'POST', path: '/v2/files/upload' },
    ],
    // put + files:put: a multipart upload is started at its permanent key and recorded as pending.
    permissions: ['table:get', 'table:put', 'temp:put', 'files:put'],
  },
  {
    name: 'saveFile',
    entry: 'save-file',
    routes: [
      { method: 'POST', path: '/v1/files' },
      { method: 'POST', path: '/v2/files' },
    ],
    // files:delete: a save whose file was deleted meanwhile removes the copy it just made.
    // files:list-parts + files:read: a multipart upload is completed from its parts and then inspected.
    // temp:abort: a source_url written in parts is aborted when the fetch fails midway.
    // files:abort: a big object is copied in parts, whose multipart upload a failure aborts.
    permissions: [
      'table:get',
      'table:query',
      'table:put',
      'table:delete',
      'temp:put',
      'temp:read',
      'temp:delete',
      'files:put',
      'files:read',
      'files:delete',
      'files:list-parts',
      'temp:abort',
      'files:abort',
    ],
  },
  {
    name: 'getFile',
    entry: 'get-file',
    routes: [
      { method: 'GET', path: '/v1/files/{id}' },
      { method: 'GET', path: '/v2/files/{id}' },
    ],
    permissions: ['table:get', 'table:query'],
  },
  {
    name: 'updateFile',
    entry: 'update-file',
    routes: [{ method: 'PATCH', path: '/v2/files/{id}' }],
    // put/delete: the entity and its relations' reverse-index items, in one transaction.
    permissions: ['table:get', 'table:query', 'table:put', 'table:delete'],
  },
  {
    name: 'listFiles',
    entry: 'list-files',
    routes: [{ method: 'GET', path: '/v2/files' }],
    // index:query: the list indexes; query + batch-get: the reverse index of relations, then its files.
    permissions: ['index:query', 'table:query', 'table:batch-get'],
  },
  {
    name: 'listFileVersions',
    entry: 'list-versions',
    routes: [{ method: 'GET', path: '/v1/files/{id}/versions' }],
    permissions: ['table:get', 'table:query'],
  },
  {
    name: 'batchGetFiles',
    entry: 'batch-get-files',
    routes: [{ method: 'POST', path: '/v1/files:batchGet' }],
    permissions: ['table:batch-get', 'table:query'],
  },
  {
    name: 'deleteFile',
    entry: 'delete-file',
    routes: [
      { method: 'DELETE', path: '/v1/files/{id}' },
      { method: 'DELETE', path: '/v2/files/{id}' },
    ],
    // get: who may delete is decided on the file as stored, before it is marked.
    // query: the versions and the previews whose objects go with the file.
    permissions: ['table:get', 'table:update', 'table:query', 'table:batch-write', 'files:delete', 'previews:delete'],
  },
  {
    name: 'downloadFile',
    entry: 'download-file',
    routes: [{ method: 'GET', path: '/v1/files/{id}/download' }],
    permissions: ['table:get', 'files:read'],
    cookie: true,
  },
  {
    name: 'downloadFiles',
    entry: 'download-files',
    routes: [{ method: 'POST', path: '/v1/files:downloadFiles' }],
    permissions: ['table:get', 'files:read'],
  },
  {
    name: 'getPublicFile',
    entry: 'get-public-file',
    routes: [{ method: 'GET', path: '/v1/files/public/{id}' }],
    permissions: ['table:get', 'files:read'],
    public: true,
  },
  {
    name: 'generatePublicLink',
    entry: 'generate-public-link',
    routes: [{ method: 'POST', path: '/v1/files/{id}/public/links' }],
    // The link and its file's entry are written with a check that the file is still active.
    permissions: ['table:get', 'table:query', 'table:put', 'table:condition-check'],
  },
  {
    name: 'listPublicLinksForFile',
    entry: 'list-public-links',
    routes: [{ method: 'GET', path: '/v1/files/{id}/public/links' }],
    permissions: ['table:get', 'table:query'],
  },
  {
    name: 'accessPublicLink',
    entry: 'access-public-link',
    routes: [{ method: 'GET', path: '/v1/files/public/links/{id}/{filename}' }],
    permissions: ['table:get', 'table:update', 'files:read'],
    public: true,
  },
  {
    name: 'revokePublicLink',
    entry: 'revoke-public-link',
    routes: [{ method: 'DELETE', path: '/v1/files/public/links/{id}' }],
    permissions: ['table:get', 'table:delete'],
  },
  {
    name: 'refreshUpload',
    entry: 'refresh-upload',
    routes: [{ method: 'POST', path: '/v2/files/upload/refresh' }],
    // get: the upload as it was declared, and whether it was saved; temp:put: signing its URL again.
    permissions: ['table:get', 'temp:put'],
  },
  {
    name: 'signUploadRequest',
    entry: 'sign-upload-request',
    routes: [{ method: 'POST', path: '/v1/files/upload/sign' }],
    // The calls of an upload the browser makes itself, on temp keys only.
    permissions: ['temp:put', 'temp:list-parts', 'temp:abort'],
  },
  {
    name: 'presignUploadParts',
    entry: 'presign-upload-parts',
    routes: [{ method: 'POST', path: '/v1/files/upload/{upload_id}/parts' }],
    permissions: ['table:get', 'files:put'],
  },
  {
    name: 'listUploadParts',
    entry: 'list-upload-parts',
    routes: [{ method: 'GET', path: '/v1/files/upload/{upload_id}/parts' }],
    permissions: ['table:get', 'files:list-parts'],
  },
  {
    name: 'abortUpload',
    entry: 'abort-upload',
    routes: [{ method: 'DELETE', path: '/v1/files/upload/{upload_id}' }],
    permissions: ['table:get', 'table:delete', 'files:abort'],
  },
  {
    name: 'previewFile',
    entry: 'preview-file',
    routes: [{ method: 'GET', path: '/v1/files/{id}/preview' }],
    // put: the record of a kept preview, which the file's delete reads; files:read: the source.
    permissions: ['table:get', 'table:put', 'files:read', 'previews:read', 'previews:put'],
    // `<img src>` of a thumbnail: a browser sends the session cookie, never a header.
    cookie: true,
  },
  {
    name: 'previewS3File',
    entry: 'preview-s3-file',
    routes: [
      { method: 'POST', path: '/v1/files:previewS3' },
      { method: 'GET', path: '/v1/files:previewS3' },
    ],
    cookie: true,
    // query: the versions of the file a saved key names; temp:read: an upload not saved yet.
    permissions: ['table:get', 'table:query', 'table:put', 'files:read', 'temp:read', 'previews:read', 'previews:put'],
  },
  {
    name: 'previewPublicFile',
    entry: 'preview-public-file',
    routes: [{ method: 'GET', path: '/v1/files/public/{id}/preview' }],
    permissions: ['table:get', 'table:put', 'files:read', 'previews:read', 'previews:put'],
    public: true,
  },
  {
    name: 'downloadS3File',
    entry: 'download-s3-file',
    routes: [{ method: 'POST', path: '/v1/files:downloadS3' }],
    // query: the versions of the file a saved key names; temp:read: that an upload arrived, and its type.
    permissions: ['table:get', 'table:query', 'files:read', 'temp:read'],
  },
  {
    name: 'copyFile',
    entry: 'copy-file',
    // Serves POST /v2/files/{id}:copy. API Gateway takes a path variable only as a whole path
    // segment, so the route catches the segment `<id>:copy` and the handler reads the suffix.
    routes: [{ method: 'POST', path: '/v2/files/{id}' }],
    // files:read: the source's ETag, and the copy's source; put/delete: the intent, the file.
    permissions: ['table:get', 'table:query', 'table:put', 'table:delete', 'files:read', 'files:put', 'files:abort'],
  },
  {
    name: 'getSession',
    entry: 'get-session',
    // The verified bearer token becomes the session cookie; nothing is stored.
    routes: [{ method: 'GET', path: '/v1/files/session' }],
    permissions: [],
  },
  {
    name: 'deleteSession',
    entry: 'delete-session',
    // Clearing one's own cookie harms nobody, and must work once the token is gone or expired.
    routes: [{ method: 'DELETE', path: '/v1/files/session' }],
    permissions: [],
    public: true,
  },
  {
    name: 'getOpenApiDocument',
    entry: 'get-openapi',
    // The API's own OpenAPI document, built from the code at hand: no storage is read.
    routes: [{ method: 'GET', path: '/openapi.json' }],
    permissions: [],
    public: true,
  },
];

/**
 * How fast the routes reached without a token may be called, each route on its own: one
 * token bucket per route, shared by every client, as API Gateway throttles a route.
 */
export interface RouteThrottle {
  /** Requests per second, on average. */
  readonly rateLimit: number;
  /** Requests at once: the bucket's size. */
  readonly burstLimit: number;
}

/** The default throttle of each public route (the CDK prop `publicThrottle`). */
export const defaultPublicThrottle: RouteThrottle = { rateLimit: 50, burstLimit: 100 };

/** A function no route reaches: it consumes the table's stream. */
export interface StreamConsumer {
  readonly name: string;
  /** File under lambdas/handlers/ without extension; it exports `handler`. */
  readonly entry: string;
  readonly permissions: readonly Permission[];
  /**
   * Event filter patterns on the stream records (as Lambda's event source mapping takes
   * them); a record reaches the function when it matches any. The local stream poller
   * applies the same patterns.
   */
  readonly filters?: ReadonlyArray<Readonly<Record<string, unknown>>>;
}

/**
 * Deletes the copy of a save that never committed, once DynamoDB's TTL removes the save's
 * intent item: it reads the upload's claim and version, and deletes only saved-file objects.
 */
export const orphanReaper: StreamConsumer = {
  name: 'reapOrphans',
  entry: 'reap-orphans',
  // query: without the upload's claim, the versions of the file the key names.
  permissions: ['table:get', 'table:query', 'files:delete'],
};

/**
 * Puts an EventBridge event on the service's bus for every committed create, new version,
 * metadata update and delete of a file (lambdas/core/events.ts). Only entity items
 * (`sk = FILE`, see the repository's storage layout) reach it.
 */
export const publishEvents: StreamConsumer = {
  name: 'publishEvents',
  entry: 'publish-events',
  permissions: ['events:put'],
  filters: [{ dynamodb: { Keys: { sk: { S: ['FILE'] } } } }],
};

/** A function no route reaches: the target of a rule on the service's event bus. */
export interface EventConsumer {
  readonly name: string;
  /** File under lambdas/handlers/ without extension; it exports `handler`. */
  readonly entry: string;
  readonly permissions: readonly Permission[];
  /** The `detail-type`s of the service's events (source `file-service`) the rule passes to it. */
  readonly detailTypes: readonly FileEventType[];
}

/**
 * Renders the default preview of each new file and version ahead of time, through previewFile's
 * own code (lambdas/core/preview-ahead.ts), so the first preview of an image is a cache hit.
 */
export const renderPreviews: EventConsumer = {
  name: 'renderPreviews',
  entry: 'render-previews',
  // As previewFile: get the file and version, put the kept preview's record (the file's delete
  // reads it), read the source and the kept preview, put the preview.
  permissions: ['table:get', 'table:put', 'files:read', 'previews:read', 'previews:put'],
  detailTypes: previewAheadEventTypes,
};

/**
 * Environment every handler reads (see lambdas/config.ts). The stack sets these; the local
 * API sets them for the process.
 */
export const handlerEnvironment = [
  'TABLE_NAME',
  'BUCKET_NAME',
  'MAX_UPLOAD_BYTES',
  'UPLOAD_URL_TTL_SECONDS',
  'DOWNLOAD_URL_TTL_SECONDS',
  'TENANT_CLAIM',
  'ROLES_CLAIM',
  'ADMIN_ROLE',
  'SERVICE_SCOPE',
  'TEMP_EXPIRY_DAYS',
  'ALLOWED_MIME_TYPES',
  'COPY_PART_THRESHOLD_BYTES',
  'MULTIPART_THRESHOLD_BYTES',
  'SOURCE_URL_HTTP_HOSTS',
  'SOURCE_URL_TIMEOUT_MS',
  'PREVIEW_MAX_SOURCE_BYTES',
  'PREVIEW_MAX_INPUT_PIXELS',
] as const;
