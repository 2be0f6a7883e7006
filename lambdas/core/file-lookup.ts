import { may } from './access';
import { BadRequestError, NotFoundError } from './errors';
import { isUuid } from './keys';
import { guardOf } from './model';
import type { Caller, FileRecord } from './model';
import type { FileRepository } from './ports';

/**
 * The file of this id as the caller can address it: their org's, or another org's that
 * shares it with them or their org; any status. Whether they may view it is still to decide
 * (lambdas/core/access.ts). File ids are random UUIDs, so an id names one file in all orgs.
 */
export async function findFile(
  files: Pick<FileRepository, 'get' | 'findShared'>,
  caller: Pick<Caller, 'org'>,
  id: string,
): Promise<FileRecord | undefined> {
  return (await files.get(caller.org, id)) ?? (await files.findShared(caller.org, id));
}

/**
 * The active file of this id that the caller may view; anything else, another org's file
 * included, is the same 404. An id that is no UUID is a 400.
 */
export async function findViewableFile(
  files: Pick<FileRepository, 'get' | 'findShared'>,
  caller: Caller,
  id: string,
): Promise<FileRecord> {
  if (!isUuid(id)) throw new BadRequestError(`File id must be a UUID, got "${truncate(id)}"`);
  const record = await findFile(files, caller, id);
  if (!record || record.status !== 'active' || !may(caller, guardOf(record), 'view')) throw fileNotFound(id);
  return record;
}

export function fileNotFound(id: string): NotFoundError {
  return new NotFoundError(`File ${id} not found`);
}

/** A client's value, cut short enough to quote in an error. */
export function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
