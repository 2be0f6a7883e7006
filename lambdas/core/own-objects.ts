import { BadRequestError, NotFoundError } from './errors';
import { rendersSafelyInline } from './file-types';
import { findViewableFile } from './file-lookup';
import { isUuid, parseTempKey } from './keys';
import type { Caller, FileRecord, FileVersion, S3Ref } from './model';
import type { FileRepository, ObjectStore } from './ports';
import { presignVersionDownload } from './version-download';

/**
 * What an s3ref of the caller's may name (epilot's downloadS3File and previewS3File): an upload
 * of their org not saved yet (`temp/<org>/…`), or a version of a file they may view
 * (`files/<org>/<file id>/…`, or another org's that shares the file with them, as the file's
 * own routes allow). Every other key, another org's included, is the same 404.
 */
export type OwnObject =
  | { kind: 'upload'; key: string; name: string }
  | { kind: 'version'; record: FileRecord; version: FileVersion; /** 0 for the latest, as downloadFile counts. */ back: number };

export async function resolveOwnObject(
  deps: { repository: Pick<FileRepository, 'get' | 'findShared' | 'listVersions'>; bucket: string },
  caller: Caller,
  s3ref: S3Ref,
): Promise<OwnObject> {
  if (s3ref.bucket !== deps.bucket) throw new BadRequestError(`s3ref.bucket must be this service's bucket (${deps.bucket})`);
  const upload = parseTempKey(caller.org, s3ref.key);
  if (upload) return { kind: 'upload', key: s3ref.key, name: upload.name };
  const saved = parseAnyPermanentKey(s3ref.key);
  if (saved) {
    const record = await findViewableFile(deps.repository, caller, saved.fileId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    const version = record && (await deps.repository.listVersions(record.org, record.id)).find((candidate) => candidate.s3ref.key === s3ref.key);
    if (record && version) return { kind: 'version', record, version, back: record.latest_version - version.version };
  }
  throw new NotFoundError('No object of yours has this s3ref: it is not an upload of your org or a version of a file you may view');
}

/**
 * A version's key names its file after the org segment (`files/<org>/<file id>/<upload>/<name>`);
 * whose file it is, and whether the key is one of its versions, is decided on the file itself.
 */
function parseAnyPermanentKey(key: string): { fileId: string } | undefined {
  const [prefix, org, fileId, uploadId, name, ...rest] = key.split('/');
  if (prefix !== 'files' || !org || !fileId || !isUuid(fileId) || !uploadId || !isUuid(uploadId) || !name || rest.length > 0) return undefined;
  return { fileId };
}

/** downloadS3File: a presigned GET of one of the caller's own objects, named by its s3ref. */
export class OwnObjects {
  constructor(private readonly deps: { repository: FileRepository; store: ObjectStore }) {}

  async download(caller: Caller, s3ref: S3Ref, attachment: boolean): Promise<{ download_url: string }> {
    const own = await resolveOwnObject({ repository: this.deps.repository, bucket: this.deps.store.bucket }, caller, s3ref);
    if (own.kind === 'version') return { download_url: await presignVersionDownload(this.deps.store, own.version, attachment) };
    // An upload is what its uploader declared it to be: only types that render safely open inline.
    const stored = await this.deps.store.inspect(own.key, 0);
    if (!stored) throw new NotFoundError('No object of yours has this s3ref: the upload has not arrived, or has expired');
    const contentType = stored.contentType || 'application/octet-stream';
    const download_url = await this.deps.store.presignDownload(own.key, {
      filename: own.name,
      contentType,
      attachment: attachment || !rendersSafelyInline(contentType),
    });
    return { download_url };
  }
}
