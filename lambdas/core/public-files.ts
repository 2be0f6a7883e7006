import { BadRequestError, ForbiddenError } from './errors';
import { isUuid } from './keys';
import type { ObjectStore } from './ports';
import { fileNotFound, latestVersionOf, publicDownload } from './public-access';
import type { FileReader } from './public-access';

/** Org ids live in the table's keys, which stop at 2 KB; no real org id comes near this. */
export const maxOrgIdLength = 256;

/**
 * A file's `public_url`, resolved without a token: the org and the id name the file, and
 * only a `public-read` file answers with its bytes. The bucket stays private: the answer is
 * a short-lived presigned URL of the latest version.
 */
export class PublicFiles {
  constructor(private readonly deps: { files: FileReader; store: ObjectStore }) {}

  /** The download URL; 404 for anything that names no active file, 403 for a private one. */
  async download(org: string | undefined, id: string): Promise<string> {
    if (org !== undefined && org.length > maxOrgIdLength) {
      throw new BadRequestError(`org_id must be at most ${maxOrgIdLength} characters`);
    }
    // Not a UUID or no org: no file can have that address.
    if (!org || !isUuid(id)) throw fileNotFound();
    const latest = await latestVersionOf(this.deps.files, org, id);
    if (!latest) throw fileNotFound();
    if (latest.record.access_control !== 'public-read') throw new ForbiddenError('File is not publicly accessible');
    return publicDownload(this.deps.store, latest.version);
  }
}
