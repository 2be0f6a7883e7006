import { BadRequestError, PayloadTooLargeError } from './errors';
import type { Acl, Owner } from './access';
import { userPrincipal } from './access';
import type { Relation } from './model';

/**
 * What a save may store about a file. An entity is one DynamoDB item, and items stop at
 * 400 KB, while request bodies may be 1 MB: without these bounds a valid request could fail
 * only when the entity is written. The schema enforces the per-field limits at the edge; the
 * total is checked here, before a save touches storage.
 */
export const metadataLimits = {
  filenameChars: 1024,
  titleChars: 1024,
  tags: 100,
  tagChars: 256,
  /**
   * The reverse index of relations is written in the file's own transactions, which take at
   * most 100 items: a change that replaces all 40 relations is 80 of them, with the entity,
   * the version and the upload's claim.
   */
  relations: 40,
  relationIdChars: 256,
  relationSchemaChars: 256,
  relationTags: 20,
  customDownloadUrlChars: 2048,
  /**
   * Owners and `_acl.view` together. A file is listed under each of them (one item each, in
   * the file's own transactions), and a rename or a new version rewrites them all with the
   * entity, its version and the upload's claim: 90 keep that within one transaction.
   */
  listedPrincipals: 90,
  /**
   * Title, filename, tags, relations and custom download URL together, as UTF-8 JSON. JSON is
   * larger than DynamoDB's own encoding of the same values, and the entity's other attributes
   * take a few KB, so an entity within this limit always fits in one 400 KB item.
   */
  totalBytes: 256 * 1024,
} as const;

export interface SavedMetadata {
  filename?: string;
  title?: string;
  tags?: string[];
  relations?: Relation[];
  custom_download_url?: string;
  acl?: Acl;
  owners?: Owner[];
}

/**
 * 413 when the metadata a save would store cannot fit in the entity's item; 400 when it
 * would list the file for more principals than one write can index.
 */
export function assertMetadataFits(metadata: SavedMetadata): void {
  const { filename, title, tags, relations, custom_download_url, acl, owners } = metadata;
  const listed = new Set([...(owners ?? []).map((owner) => userPrincipal(owner.org_id, owner.user_id)), ...(acl?.view ?? [])]);
  // A save without owners is owned by its caller.
  const count = listed.size + (owners ? 0 : 1);
  if (count > metadataLimits.listedPrincipals) {
    throw new BadRequestError(
      `_owners and _acl.view name ${count} principals together; a file is listed for at most ${metadataLimits.listedPrincipals}: ` +
        'grant view to an org instead of its users one by one',
    );
  }
  const bytes = new TextEncoder().encode(JSON.stringify({ filename, title, tags, relations, custom_download_url, acl, owners })).length;
  if (bytes > metadataLimits.totalBytes) {
    throw new PayloadTooLargeError(
      `The file's metadata (title, filename, tags, relations, custom_download_url, _acl, _owners) is ${bytes} bytes; the limit is ${metadataLimits.totalBytes} bytes together`,
    );
  }
}
