import { NotFoundError } from './errors';
import type { FileRecord, FileVersion } from './model';
import type { FileRepository, ObjectStore } from './ports';
import { presignVersionDownload } from './version-download';

/** What the no-token routes read: the entity and its versions, nothing else. */
export type FileReader = Pick<FileRepository, 'get' | 'getVersion'>;

/**
 * The latest version of an active file, or undefined when the file is unknown, deleted or
 * being deleted. Consistent reads: a delete or an access change counts at once.
 */
export async function latestVersionOf(
  files: FileReader,
  org: string,
  id: string,
): Promise<{ record: FileRecord; version: FileVersion } | undefined> {
  const record = await files.get(org, id);
  if (!record || record.status !== 'active') return undefined;
  const version = await files.getVersion(org, id, record.latest_version);
  return version ? { record, version } : undefined;
}

/**
 * A presigned download for a browser sent without a token: the types that render safely
 * open inline, everything else downloads.
 */
export function publicDownload(store: ObjectStore, version: FileVersion): Promise<string> {
  return presignVersionDownload(store, version, false);
}

export function fileNotFound(): NotFoundError {
  return new NotFoundError('File not found');
}
