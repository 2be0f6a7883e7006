/**
 * Versions, a page at a time. A file can gather any number of versions, but a response must
 * stay far below Lambda's 6 MB: the entity carries only the newest ones, and the versions
 * listing pages through all of them, reading from the table only what one page shows.
 */
import { BadRequestError } from './errors';
import type { FileItem, FileRecord, FileVersion } from './model';
import { toFileItem } from './model';
import type { FileRepository } from './ports';

export const defaultVersionPageSize = 50;
export const maxVersionPageSize = 100;

/** One version in the listing: epilot's FileItem, with the index `downloadFile?version=` takes. */
export interface VersionListItem extends FileItem {
  /** 0 = the latest version when this page was read, 1 = the one before, ... */
  version: number;
  created_at: string;
}

export interface VersionPage {
  results: VersionListItem[];
  /** Pass as `cursor` for the next, older page; absent on the last page. */
  next_cursor?: string;
}

export interface VersionPageRequest {
  limit: number;
  cursor?: string;
}

/** The page of `record`'s versions, newest first, that `request` asks for. */
export async function versionPage(
  repository: FileRepository,
  record: FileRecord,
  request: VersionPageRequest,
): Promise<VersionPage> {
  const olderThan = request.cursor === undefined ? undefined : positionOf(request.cursor, record);
  const page = await repository.listVersionPage(record.org, record.id, {
    limit: request.limit,
    ...(olderThan !== undefined ? { olderThan } : {}),
  });
  // A save may have landed between reading the entity and its versions: count from the newest seen.
  const latest = Math.max(record.latest_version, page.versions[0]?.version ?? 0);
  const last = page.versions.at(-1);
  return {
    results: page.versions.map((version) => toListItem(version, latest)),
    ...(page.more && last && last.version > 1 ? { next_cursor: cursorAfter(record.id, last.version) } : {}),
  };
}

function toListItem(version: FileVersion, latest: number): VersionListItem {
  return { version: latest - version.version, ...toFileItem(version), created_at: version.created_at };
}

/**
 * Cursors name a position by the stored version number, which never changes, so paging
 * neither skips nor repeats a version while new ones are saved. They name their file too:
 * a cursor of another file is refused instead of silently listing from a wrong place.
 */
function cursorAfter(fileId: string, versionNumber: number): string {
  return Buffer.from(JSON.stringify({ file: fileId, before: versionNumber })).toString('base64url');
}

function positionOf(cursor: string, record: FileRecord): number {
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  const { file, before } = (position ?? {}) as { file?: unknown; before?: unknown };
  if (
    file !== record.id ||
    typeof before !== 'number' ||
    !Number.isInteger(before) ||
    before < 2 ||
    before > record.latest_version
  ) {
    throw new BadRequestError(`cursor is not one that listing the versions of file ${record.id} returned; start again without it`);
  }
  return before;
}
