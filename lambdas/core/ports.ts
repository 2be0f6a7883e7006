import type { FileRecord, FileVersion } from './model';

export interface StoredObject {
  size: number;
  contentType?: string;
  /** The object's first bytes, to check its real type. */
  start: Uint8Array;
}

/** The object storage the service needs; S3 in production and locally. */
export interface ObjectStore {
  readonly bucket: string;
  /** Signs the content type when given, so the PUT must send exactly it; else any or none goes. */
  presignUpload(key: string, options: { contentType?: string; contentLength?: number }): Promise<string>;
  /** The URL's response always carries `contentType`, whatever the object was stored with. */
  presignDownload(
    key: string,
    options: { filename: string; contentType: string; attachment: boolean },
  ): Promise<string>;
  /** Size, type and up to `length` leading bytes of an object, or undefined when there is none. */
  inspect(key: string, length: number): Promise<StoredObject | undefined>;
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Deletes the keys; keys that do not exist are not an error. */
  delete(keys: string[]): Promise<void>;
  /** The object's plain URL (reachable only if the object is public). */
  urlOf(key: string): string;
}

/** A conditional write found the stored state changed since it was read. */
export class StaleWriteError extends Error {
  constructor(message = 'the file changed while it was being written') {
    super(message);
    this.name = 'StaleWriteError';
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

/** File entities and their versions, always addressed by org and id together. */
export interface FileRepository {
  get(org: string, id: string): Promise<FileRecord | undefined>;
  getVersion(org: string, id: string, version: number): Promise<FileVersion | undefined>;
  /** Every version, newest first. */
  listVersions(org: string, id: string): Promise<FileVersion[]>;
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
   */
  create(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void>;
  /**
   * Writes `version`, the updated entity and the upload's claim in one transaction, only if the
   * stored entity is still active at `version.version - 1` (else StaleWriteError) and the
   * upload is unclaimed (else AlreadySavedError).
   */
  addVersion(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void>;
  getClaim(org: string, uploadId: string): Promise<UploadClaim | undefined>;
  /** Marks an active or deleting entity as deleting; undefined when there is none. */
  markDeleting(org: string, id: string): Promise<FileRecord | undefined>;
  /** Removes the entity and its versions. */
  remove(org: string, id: string, versions: number[]): Promise<void>;
}
