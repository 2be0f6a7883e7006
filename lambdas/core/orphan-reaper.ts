import { filesPrefixOf, parsePermanentKey } from './keys';
import type { FileRepository, ObjectStore, SaveIntent } from './ports';

export type ReapOutcome = 'deleted' | 'referenced' | 'in-progress';

/**
 * Removes the copy of a save that never committed. A save records its intent (the permanent
 * key) before copying and deletes it once the version is written, so an intent the table's TTL
 * expires belongs, nearly always, to a save that did not finish. Its copy is deleted unless a
 * version references it after all (that delete can fail): the upload's claim names the
 * version, and the version names its key. The intent expires only after its upload's save window has closed (see
 * upload-window.ts), so no retry can still adopt the copy; a newer intent for the same upload
 * means a save is running again, and that intent's own expiry comes back here. Without a
 * claim (its TTL may remove it before a late intent's), the versions of the file the key names
 * decide: the claim only ever saves a look at them.
 */
export class OrphanReaper {
  constructor(
    private readonly deps: {
      repository: Pick<FileRepository, 'getClaim' | 'getVersion' | 'getIntent' | 'listVersions'>;
      store: Pick<ObjectStore, 'delete'>;
    },
  ) {}

  async reap(intent: SaveIntent): Promise<ReapOutcome> {
    const { repository, store } = this.deps;
    // The key comes from our own item, but deleting is the one thing this code does: only
    // ever a saved-file key of the intent's own org.
    if (!intent.key.startsWith(filesPrefixOf(intent.org))) {
      throw new Error(`Refusing to reap ${intent.key}: not a file key of org ${intent.org}`);
    }
    const claim = await repository.getClaim(intent.org, intent.upload_id);
    if (claim) {
      const version = await repository.getVersion(intent.org, claim.file_id, claim.version);
      if (version?.s3ref.key === intent.key) return 'referenced';
    } else {
      const current = await repository.getIntent(intent.org, intent.upload_id);
      if (current?.key === intent.key) return 'in-progress';
      const file = parsePermanentKey(intent.org, intent.key);
      const versions = file ? await repository.listVersions(intent.org, file.fileId) : [];
      if (versions.some((version) => version.s3ref.key === intent.key)) return 'referenced';
    }
    await store.delete([intent.key]);
    return 'deleted';
  }
}
