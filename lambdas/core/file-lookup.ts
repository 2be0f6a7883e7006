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
