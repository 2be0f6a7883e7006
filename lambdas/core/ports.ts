import type { FileRecord, FileVersion } from './model';

/** The object storage the service needs; S3 in production and locally. */
export interface ObjectStore {
  readonly bucket: string;
  presignUpload(key: string, options: { contentType: string; contentLength?: number }): Promise<string>;
  presignDownload(
    key: string,
    options: { filename: string; contentType: string; attachment: boolean },
  ): Promise<string>;
  /** Size and type of an object, or undefined when there is none. */
  head(key: string): Promise<{ size: number; contentType?: string } | undefined>;
  /** Up to `length` leading bytes of an object. */
  readStart(key: string, length: number): Promise<Uint8Array>;
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

/** File entities and their versions, always addressed by org and id together. */
export interface FileRepository {
  get(org: string, id: string): Promise<FileRecord | undefined>;
  getVersion(org: string, id: string, version: number): Promise<FileVersion | undefined>;
  /** Every version, newest first. */
  listVersions(org: string, id: string): Promise<FileVersion[]>;
  /** Writes a new entity with its first version in one transaction; StaleWriteError if the id exists. */
  create(record: FileRecord, version: FileVersion): Promise<void>;
  /**
   * Writes `version` and the updated entity in one transaction, only if the stored entity is
   * still active at `version.version - 1`; otherwise StaleWriteError.
   */
  addVersion(record: FileRecord, version: FileVersion): Promise<void>;
  /** Marks an active or deleting entity as deleting; undefined when there is none. */
  markDeleting(org: string, id: string): Promise<FileRecord | undefined>;
  /** Removes the entity and its versions. */
  remove(org: string, id: string, versions: number[]): Promise<void>;
}
