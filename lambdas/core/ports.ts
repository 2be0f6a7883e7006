import type { FileRecord, FileVersion } from './model';

export interface StoredObject {
  size: number;
  contentType?: string;
  /** The object's first bytes, to check its real type. */
  start: Uint8Array;
  /** Names these exact bytes: a copy made on condition of this ETag copies what was inspected. */
  etag: string;
  /** When the bytes were written; an upload older than the save window is refused. */
  lastModified: Date;
  /** Base64 SHA-256 that S3 verified when the bytes were written, if the upload sent one. */
  checksumSha256?: string;
}

/** What a copy needs to know of its source: how big it is, and the type it is stored with. */
export type CopiedObject = Pick<StoredObject, 'size' | 'contentType'>;

/** Where to POST the form, and the fields to send before the file. */
export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

/** A part S3 holds of an unfinished multipart upload. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified?: Date;
  /** The part's SHA-256 as S3 verified it, for an upload made with part checksums. */
  checksumSha256?: string;
}

/** A multipart upload call a browser makes itself, with a URL the service signed. */
export type MultipartCall =
  | { kind: 'create'; key: string; contentType?: string }
  | { kind: 'list' | 'complete' | 'abort'; key: string; uploadId: string };

/** The object storage the service needs; S3 in production and locally. */
export interface ObjectStore {
  readonly bucket: string;
  /**
   * Signs the content type when given, so the PUT must send exactly it; else any or none goes.
   * A checksum (base64 SHA-256) is signed as the header `x-amz-checksum-sha256`: the PUT must
   * send it, and S3 refuses bytes with another digest (400 BadDigest).
   */
  presignUpload(
    key: string,
    options: { contentType?: string; contentLength?: number; checksumSha256?: string },
  ): Promise<string>;
  /**
   * A presigned POST (browser form upload) of exactly `key`: S3 itself refuses another key,
   * another content type when one is given, more than `maxBytes`, other bytes than the
   * checksum when one is given (BadDigest), or a late upload.
   */
  presignPost(key: string, options: { contentType?: string; maxBytes: number; checksumSha256?: string }): Promise<PresignedPost>;
  /** The URL's response always carries `contentType`, whatever the object was stored with. */
  presignDownload(
    key: string,
    options: { filename: string; contentType: string; attachment: boolean },
  ): Promise<string>;
  /**
   * Size, type and up to `length` leading bytes of an object, or undefined when there is none.
   * Without s3:ListBucket S3 answers a missing key with 403 AccessDenied: that is none too.
   */
  inspect(key: string, length: number): Promise<StoredObject | undefined>;
  /**
   * Copies the object if its ETag is still `ifMatch`; SourceChangedError when it changed or is
   * gone, so the bytes copied are always the bytes that were inspected. Given what inspect
   * found (`source`), a big object is copied in parts, in parallel, the type kept.
   */
  copy(fromKey: string, toKey: string, ifMatch: string, source?: CopiedObject): Promise<void>;
  /** Deletes the keys; keys that do not exist are not an error. */
  delete(keys: string[]): Promise<void>;
  /** Writes the bytes at the key (a direct upload), typed when a type is given. */
  putObject(key: string, bytes: Uint8Array, contentType?: string): Promise<void>;
  /**
   * Writes the bytes as they arrive, holding at most one part in memory: one PUT when they fit
   * one part, else a multipart upload, aborted when anything fails. More than `maxBytes` is a
   * 413 (PayloadTooLargeError) that stores nothing; the body's own errors pass through.
   */
  putStream(key: string, body: AsyncIterable<Uint8Array>, options: { contentType?: string; maxBytes: number }): Promise<void>;
  /**
   * Starts a multipart upload at the key; the object it completes has `contentType` when given.
   * With `partChecksums`, every part must carry its SHA-256, which S3 verifies (BadDigest).
   */
  createMultipartUpload(key: string, options: { contentType?: string; partChecksums?: boolean }): Promise<string>;
  /**
   * A URL that PUTs one part of the multipart upload, and nothing else; with a checksum, signed
   * as the header `x-amz-checksum-sha256`, so S3 refuses other bytes.
   */
  presignPart(key: string, uploadId: string, partNumber: number, checksumSha256?: string): Promise<string>;
  /** A URL for one multipart call on exactly this key (and upload), and nothing else. */
  presignMultipartCall(call: MultipartCall): Promise<string>;
  /** Every part S3 holds of the upload, by number; undefined when there is no such upload. */
  listParts(key: string, uploadId: string): Promise<UploadedPart[] | undefined>;
  /**
   * Completes the upload from these parts; resolves to the object's ETag, or undefined when
   * there is no such upload (completed or aborted already). PartsChangedError when a part is
   * not stored with the ETag given, or S3 refuses the parts (a part too small).
   */
  completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: ReadonlyArray<Pick<UploadedPart, 'partNumber' | 'etag' | 'checksumSha256'>>,
  ): Promise<string | undefined>;
  /** Aborts the upload and frees its parts; an upload that is gone already is not an error. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
}

/** The parts named to complete a multipart upload are not the ones S3 holds, or break its rules. */
export class PartsChangedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartsChangedError';
  }
}

/**
 * An upload handed out and not saved yet: what it was declared as, so the calls that follow
 * (a refreshed URL, the parts of a multipart upload) keep to it. Expires (table TTL) once the
 * upload can no longer be saved; the bucket's abort-incomplete rule frees the parts of any left.
 */
export interface PendingUpload {
  org: string;
  upload_id: string;
  method: 'put' | 'post' | 'multipart';
  /** Where the bytes go: a temp key, or for a multipart upload the permanent key of its version. */
  key: string;
  /** A multipart upload's: S3's id of the multipart upload at `key`. */
  multipart_upload_id?: string;
  /** A multipart upload's: the part size the client was told to use. */
  part_size?: number;
  /** A multipart upload's: every part carries its SHA-256, which S3 verifies. */
  part_checksums?: boolean;
  /** A form upload's largest accepted file. */
  max_size_bytes?: number;
  filename: string;
  mime_type?: string;
  size_bytes?: number;
  checksum_sha256?: string;
  created_by: string;
  /** ISO 8601: the upload window is measured from here. */
  created_at: string;
  /** Epoch seconds; the table's TTL removes the item after it. */
  expires_at: number;
}

/** A conditional write found the stored state changed since it was read. */
export class StaleWriteError extends Error {
  constructor(message = 'the file changed while it was being written') {
    super(message);
    this.name = 'StaleWriteError';
  }
}

/** The object to copy changed or disappeared since it was inspected. */
export class SourceChangedError extends Error {
  constructor(message = 'the uploaded object changed or disappeared since it was inspected') {
    super(message);
    this.name = 'SourceChangedError';
  }
}

/** Another save of the same upload holds its intent with other bytes or another target. */
export class IntentConflictError extends Error {
  constructor(message = 'another save of this upload is in progress') {
    super(message);
    this.name = 'IntentConflictError';
  }
}

/** Storage refused the item itself (DynamoDB's ValidationException, e.g. an item over 400 KB). */
export class InvalidItemError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidItemError';
  }
}

/**
 * The change writes more items together (the entity, its relations and whom it is listed
 * for) than one DynamoDB transaction holds; its message says what to do instead.
 */
export class TooManyItemsError extends InvalidItemError {
  constructor(message: string) {
    super(message);
    this.name = 'TooManyItemsError';
  }
}

/** The transaction was refused because this upload was already saved (see UploadClaim). */
export class AlreadySavedError extends Error {
  constructor() {
    super('this upload was already saved');
    this.name = 'AlreadySavedError';
  }
}

/**
 * Written with the version an upload became, in the same transaction: an upload is saved at
 * most once, and repeating its save finds what it became.
 */
export interface UploadClaim {
  org: string;
  upload_id: string;
  file_id: string;
  version: number;
  /** Whether the save created the file (rather than adding a version to it). */
  created: boolean;
  /** Epoch seconds after which the claim may be forgotten (its upload has long expired). */
  expires_at: number;
}

/**
 * Recorded before a save copies its bytes to their permanent key, and forgotten once the
 * version is written. An intent that is never deleted expires (table TTL),
 * and its expiry hands the key to the orphan reaper, which deletes the object unless a version
 * references it. While it lives, only saves of the same bytes to the same key may proceed.
 */
export interface SaveIntent {
  org: string;
  upload_id: string;
  /** The permanent key the save copies to. */
  key: string;
  /** ETag of the temp object the save inspected; only these bytes may land on `key`. */
  etag: string;
  /** Epoch seconds; the table's TTL removes the intent after it (see upload-window.ts). */
  expires_at: number;
}

/** Who began a delete, and when (ISO 8601). */
export interface DeleteActor {
  by: string;
  at: string;
}

/** Which list index a listing reads. */
export type ListIndexName = 'created' | 'filename' | 'size';

/** One read of one shard of an org's list index, in index order. */
export interface ShardPageRequest {
  index: ListIndexName;
  descending: boolean;
  /** Reads only sort keys strictly beyond this one, in the order read (a cursor's position). */
  after?: string;
  /** The created index only: files created at or after `from`, and before `before` (ISO 8601). */
  created?: { from?: string; before?: string };
  /** How many index entries to read (before any filter). */
  limit: number;
}

export interface ShardPage {
  /** Active and deleting entities alike, each with its sort key in the index read. */
  entries: Array<{ sortKey: string; record: FileRecord }>;
  /** The last sort key read; undefined when the shard has nothing beyond what was read. */
  lastSortKey?: string;
}

export interface RelatedPageRequest {
  descending: boolean;
  after?: string;
  created?: { from?: string; before?: string };
  limit: number;
}

export interface RelatedPage {
  entries: Array<{ sortKey: string; fileId: string }>;
  lastSortKey?: string;
}

/**
 * The org's files in index order, for listing and search. Indexes are sharded (see
 * `shards`); each read goes to one shard of one org, never across orgs.
 */
export interface FileIndex {
  readonly shards: number;
  /**
   * One shard of the org's files: the org-wide ones, or with `restricted` the others (which
   * only its admins list whole). Read from an index, so it may lag a write a moment.
   */
  readShard(org: string, shard: number, request: ShardPageRequest, restricted?: boolean): Promise<ShardPage>;
  /**
   * The files listed under a principal (lambdas/core/access.ts `listingGrants`): of its own
   * org, or with `shared` of other orgs. Each entry's entity is read consistently, and an
   * entry the entity no longer backs (revoked, renamed, deleted) is left out.
   */
  readGrants(principal: string, shared: boolean, request: ShardPageRequest): Promise<ShardPage>;
  /**
   * The files related to an entity, oldest or newest first, read consistently from the
   * reverse index written in the same transaction as each file.
   */
  readRelated(org: string, entityId: string, request: RelatedPageRequest): Promise<RelatedPage>;
  /** The entities of these ids that exist, read consistently; at most 100 ids. */
  getMany(org: string, ids: readonly string[]): Promise<FileRecord[]>;
}

/** File entities and their versions, always addressed by org and id together. */
export interface FileRepository {
  get(org: string, id: string): Promise<FileRecord | undefined>;
  /** The entities of these ids that exist (in any order), read consistently; at most 100 ids. */
  getMany(org: string, ids: readonly string[]): Promise<FileRecord[]>;
  /**
   * Files of other orgs among these ids that grant something to `viewerOrg` or its users,
   * read consistently; at most 100 ids. Whether the caller may view them is still to decide.
   */
  getShared(viewerOrg: string, ids: readonly string[]): Promise<FileRecord[]>;
  /** getShared for one id, with GetItem alone. */
  findShared(viewerOrg: string, id: string): Promise<FileRecord | undefined>;
  getVersion(org: string, id: string, version: number): Promise<FileVersion | undefined>;
  /** Every version, newest first. */
  listVersions(org: string, id: string): Promise<FileVersion[]>;
  /** Records a preview kept in the bucket at `key`, so that deleting the file deletes it too. */
  putPreview(org: string, id: string, preview: { version: number; size: string; key: string }): Promise<void>;
  /** The bucket keys of every preview recorded for the file. */
  listPreviewKeys(org: string, id: string): Promise<string[]>;
  /**
   * At most `limit` versions, newest first, numbered below `olderThan` when given; reads no
   * more than that. `more` is false when no older version can follow.
   */
  listVersionPage(
    org: string,
    id: string,
    page: { limit: number; olderThan?: number },
  ): Promise<{ versions: FileVersion[]; more: boolean }>;
  /**
   * Writes a new entity, its first version and the upload's claim in one transaction.
   * AlreadySavedError if the upload was claimed, StaleWriteError if the id exists.
   * Repository errors other than these: InvalidItemError when storage refuses an item.
   */
  create(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void>;
  /**
   * Writes `version`, the updated entity and the upload's claim in one transaction, only if the
   * stored entity is still `previous` (active, same revision; else StaleWriteError) and the
   * upload is unclaimed (else AlreadySavedError). Relations follow the entity's.
   */
  addVersion(record: FileRecord, version: FileVersion, claim: UploadClaim, previous: FileRecord): Promise<void>;
  /**
   * Replaces the entity's metadata, with its relations, in one transaction, only if the stored
   * entity is still `previous` (active, same revision); else StaleWriteError.
   */
  update(record: FileRecord, previous: FileRecord): Promise<void>;
  getClaim(org: string, uploadId: string): Promise<UploadClaim | undefined>;
  putPendingUpload(upload: PendingUpload): Promise<void>;
  getPendingUpload(org: string, uploadId: string): Promise<PendingUpload | undefined>;
  /** Forgets the pending upload; one that is gone already is not an error. */
  deletePendingUpload(org: string, uploadId: string): Promise<void>;
  /**
   * Records a save's intent unless another save holds it with other bytes or another key (else
   * IntentConflictError); AlreadySavedError if the upload turns out claimed once it is recorded,
   * so no save can copy to an upload's key after the upload was saved.
   */
  recordIntent(intent: SaveIntent): Promise<void>;
  getIntent(org: string, uploadId: string): Promise<SaveIntent | undefined>;
  /** Deletes the intent if it is still this one (same bytes, same key); else leaves it. */
  forgetIntent(intent: SaveIntent): Promise<void>;
  /**
   * Marks an active or deleting entity as deleting, recording who began the delete and when
   * (a retry keeps the first); undefined when there is none.
   */
  markDeleting(org: string, id: string, actor?: DeleteActor): Promise<FileRecord | undefined>;
  /** Removes the entity and everything stored with it: versions, relations, links. */
  remove(record: FileRecord): Promise<void>;
}

/** A file another server sends (a save's `source_url`), streamed as it arrives. */
export interface FetchedSource {
  /** Where the file came from, after any redirects. */
  url: URL;
  contentType?: string;
  contentDisposition?: string;
  /**
   * The bytes as they arrive. The iteration throws (an HttpError) beyond `maxBytes`, past the
   * time bound, or when the source breaks off; ending it early closes the connection.
   */
  body: AsyncIterable<Uint8Array>;
}

/** Fetches a source URL under the rules of lambdas/core/source-url.ts. */
export interface SourceFetcher {
  /** Follows redirects; refuses (400) targets the rules forbid, and sources that fail (4xx). */
  fetch(url: string, options: { maxBytes: number }): Promise<FetchedSource>;
}
