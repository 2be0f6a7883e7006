import { rendersSafelyInline } from './file-types';
import type { FileVersion } from './model';
import type { ObjectStore } from './ports';

/**
 * A presigned GET of one stored version, named and typed as that version. Shown inline, HTML
 * or SVG would run its script on the bucket's origin: only types that render safely are ever
 * served inline, whatever the caller asked for.
 */
export function presignVersionDownload(store: ObjectStore, version: FileVersion, attachment: boolean): Promise<string> {
  return store.presignDownload(version.s3ref.key, {
    filename: version.filename,
    contentType: version.mime_type,
    attachment: attachment || !rendersSafelyInline(version.mime_type),
  });
}
