import type { Owner } from './access';
import { BadRequestError, ForbiddenError } from './errors';
import type { Caller } from './model';

/**
 * `_owners`: the users of the file's org who own it. A new file's owner is its creator; a
 * trusted backend (a service token) or an org admin may save a file for other users of the
 * org instead, and whoever may share a file may change its owners later.
 */

export const maxOwners = 10;
export const maxOwnerIdChars = 256;

/** The owners a request names, checked against the file's org; each once, in the order given. */
export function ownersOf(org: string, requested: readonly Owner[]): Owner[] {
  if (requested.length < 1 || requested.length > maxOwners) {
    throw new BadRequestError(`_owners must list from 1 to ${maxOwners} owners, got ${requested.length}`);
  }
  const seen = new Set<string>();
  for (const owner of requested) {
    for (const [field, value] of [['org_id', owner.org_id], ['user_id', owner.user_id]] as const) {
      // Control characters and unpaired surrogates make ids no one can type or compare.
      // eslint-disable-next-line no-control-regex
      if (typeof value !== 'string' || value === '' || value.length > maxOwnerIdChars || /[\u0000-\u001f\u007f]|[\ud800-\udfff]/u.test(value)) {
        throw new BadRequestError(`_owners: ${field} must be 1 to ${maxOwnerIdChars} characters of text without control characters`);
      }
    }
    if (owner.org_id !== org) {
      throw new BadRequestError(`_owners: owners must be users of the file's org ${org}, not of ${shorten(owner.org_id)}`);
    }
    if (seen.has(owner.user_id)) throw new BadRequestError(`_owners lists ${shorten(owner.user_id)} more than once`);
    seen.add(owner.user_id);
  }
  return requested.map(({ org_id, user_id }) => ({ org_id, user_id }));
}

/** Saving a file for other users is for trusted backends and org admins only. */
export function assertMaySaveFor(caller: Caller): void {
  if (caller.service !== true && caller.admin !== true) {
    throw new ForbiddenError('Only a service token or an org admin may save a file with _owners');
  }
}

export function cannotChangeOwners(id: string): ForbiddenError {
  return new ForbiddenError(`Only the owners of file ${id} and their org's admins may change its _owners`);
}

function shorten(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
