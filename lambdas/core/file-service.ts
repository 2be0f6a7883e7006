import { randomUUID } from 'node:crypto';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  HttpError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from './errors';
import { contentMatchesType, fileTypeOf, isAllowedType, mimeEssence, resolveMimeType, sniffLength } from './file-types';
import type { FileType } from './file-types';
import { filesPrefixOf, isUuid, parsePermanentKey, parseTempKey, permanentKey, tempKey, tempPrefixOf } from './keys';
import type { AccessControl, Caller, FileEntity, FileRecord, FileVersion, Relation, S3Ref } from './model';
import type { Acl, Action, GrantedAction, Owner } from './access';
import { InvalidPrincipalError, may, normalizeAcl, orgWideAcl, ownersOnlyAcl, parsePrincipal } from './access';
import { assertMaySaveFor, cannotChangeOwners, ownersOf } from './owners';
import { entityTag, entityVersionLimit, guardOf, publicFileUrl, toFileEntity } from './model';
import { fileNotFound, findFile, findViewableFile, truncate } from './file-lookup';
import { maxDirectUploadBytes } from './direct-upload';
import { assertMetadataFits } from './metadata-limits';
import type { FileRepository, ObjectStore, PendingUpload, SaveIntent, SourceFetcher, StoredObject, UploadClaim } from './ports';
import { IntentConflictError, InvalidItemError, PartsChangedError, SourceChangedError, StaleWriteError, TooManyItemsError } from './ports';
import { maxMultipartBytes, maxSinglePutBytes, partSizeFor, partsToComplete } from './multipart';
import { signUploadRequest } from './upload-signing';
import type { SignableRequest, SignedRequest } from './upload-signing';
import { isTransient } from './transient';
import { UploadWindow } from './upload-window';
import { presignVersionDownload } from './version-download';
import { versionPage } from './versions';
import type { VersionPage, VersionPageRequest } from './versions';
import { sourceFilename, sourceMimeType } from './source-url';

export interface UploadRequest {
  filename: string;
  /** Signed into the upload URL; without it the upload is untyped and save types it. */
  mime_type?: string;
  size_bytes?: number;
  /** Base64 SHA-256 of the bytes: signed into the upload URL, so S3 refuses any other bytes. */
  checksum_sha256?: string;
  /** Upload the bytes of a new version of this file. */
  file_entity_id?: string;
  /**
   * `post` answers a form upload (URL, fields, size limit) instead of a PUT URL; `multipart` a
   * resumable upload in parts. Unset: `put`, or `multipart` above the multipart threshold.
   */
  upload_method?: 'put' | 'post' | 'multipart';
  /** A multipart upload's: `SHA256` makes every part carry its SHA-256, which S3 verifies. */
  checksum_algorithm?: 'SHA256';
}

export type UploadTicket = SingleUploadTicket | MultipartUploadTicket;

/** A multipart upload: its parts' URLs come from presignParts, and save completes it. */
export interface MultipartUploadTicket {
  s3ref: S3Ref;
  upload_method: 'multipart';
  upload_id: string;
  /** The size of every part but the last. */
  part_size: number;
  max_size_bytes: number;
  /** Every part's URL signs the part's SHA-256, given when the part URLs are asked for. */
  checksum_algorithm?: 'SHA256';
  public_url?: string;
}

export interface PartUrls {
  upload_id: string;
  parts: Array<{ part_number: number; url: string }>;
}

export interface UploadParts {
  upload_id: string;
  s3ref: S3Ref;
  part_size: number;
  /** The parts S3 holds, by number: a client resumes with the others. */
  parts: Array<{ part_number: number; size_bytes: number; etag: string; uploaded_at?: string }>;
}

export interface SingleUploadTicket {
  s3ref: S3Ref;
  upload_url: string;
  /** A POST upload's form fields, to send before the file. */
  upload_fields?: Record<string, string>;
  /** A POST upload's largest accepted file: S3 refuses a bigger one. */
  max_size_bytes?: number;
  public_url?: string;
}

export interface SaveRequest {
  /** Adds a version to this file instead of creating one. */
  id?: string;
  s3ref: S3Ref;
  filename?: string;
  title?: string;
  type?: FileType;
  mime_type?: string;
  access_control?: AccessControl;
  tags?: string[];
  relations?: Relation[];
  custom_download_url?: string;
  /** Grants as the client sent them; validated and normalized by the service. */
  acl?: Partial<Record<GrantedAction, string[]>>;
  /** `owner`: a new file only its owner (and their org's admins) may use. */
  access?: 'owner';
  /** Users of the org the file is saved for (service tokens and org admins only). */
  owners?: Owner[];
}

/** What a metadata update may change; absent fields stay as they are. */
export interface MetadataPatch {
  filename?: string;
  title?: string;
  tags?: string[];
  relations?: Relation[];
  access_control?: AccessControl;
  /** New grants; only owners and their org's admins may change them. */
  acl?: Partial<Record<GrantedAction, string[]>>;
  /** New owners; only those who may change the grants may change them. */
  owners?: Owner[];
}

export interface UpdateOptions {
  /** The ETags the client's If-Match lists (`*` matches any); the update happens only on a match. */
  ifMatch?: string[];
}

export interface SaveOptions {
  /** Remove the temp object once its bytes are saved (default in the API: true). */
  deleteTempFile: boolean;
  /** Add the version but keep the entity's own metadata as it is. */
  versionOnly: boolean;
}

/** What a copy makes of a version's bytes; absent metadata comes from the version, as a save's does. */
export interface CopyRequest extends Omit<SaveRequest, 's3ref' | 'id' | 'mime_type' | 'type' | 'custom_download_url'> {
  /** Which version of the source: 0 = the latest, 1 = the one before, ... (as download). */
  version: number;
  /** Makes the copy a new version of this file of the caller's org instead of a new file. */
  file_entity_id?: string;
}

export interface DownloadRequest {
  id: string;
  /** 0 = latest, 1 = the one before, ... */
  version: number;
  attachment: boolean;
}

export type DownloadResult =
  | { file_entity_id: string; download_url: string }
  | { file_entity_id: string; error: { status: number; error: string } };

export interface FileServiceLimits {
  maxUploadBytes: number;
  /** How many days after its upload an object can be saved (default 1, the lifecycle rule's). */
  tempExpiryDays?: number;
  /** Types (`application/pdf`) and wildcards (`image/*`) a file may have; undefined allows all. */
  allowedMimeTypes?: readonly string[];
  /** A declared size above this is uploaded in parts unless the client asks otherwise (default 5 GiB). */
  multipartThresholdBytes?: number;
}

export interface FileServiceDeps {
  repository: FileRepository;
  store: ObjectStore;
  limits: FileServiceLimits;
  now?: () => Date;
  newId?: () => string;
  /** Fetches a save's `source_url`; without it such saves are refused. */
  sources?: SourceFetcher;
}

/** How long a save keeps retrying while other saves to the same file keep winning the race. */
const versionRaceBudgetMs = 15_000;
/** Lambda answers at most 6 MB; a batch keeps clear of it, whatever its files carry. */
const maxBatchResponseBytes = 5 * 1024 * 1024;

/** The service's use cases. No AWS types: storage is reached through the ports. */
export class FileService {
  private readonly repository: FileRepository;
  private readonly store: ObjectStore;
  private readonly limits: FileServiceLimits;
  private readonly window: UploadWindow;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly sources: SourceFetcher | undefined;

  constructor(deps: FileServiceDeps) {
    this.repository = deps.repository;
    this.store = deps.store;
    this.limits = deps.limits;
    this.window = new UploadWindow(deps.limits.tempExpiryDays ?? 1);
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? randomUUID;
    this.sources = deps.sources;
  }

  async createUpload(caller: Caller, request: UploadRequest): Promise<UploadTicket> {
    if (request.size_bytes !== undefined) this.assertSizeAllowed(request.size_bytes);
    if (request.mime_type !== undefined) this.assertTypeAllowed(request.mime_type);
    const threshold = this.limits.multipartThresholdBytes ?? maxSinglePutBytes;
    const method = request.upload_method ?? ((request.size_bytes ?? 0) > threshold ? 'multipart' : 'put');
    if (method === 'multipart') {
      if (request.checksum_sha256 !== undefined) {
        throw new BadRequestError('checksum_sha256 is signed into single PUT uploads only: leave it out with upload_method multipart');
      }
    } else {
      if (request.checksum_algorithm !== undefined) {
        throw new BadRequestError('checksum_algorithm goes with upload_method multipart; a single PUT takes checksum_sha256, the whole file\'s');
      }
      if ((request.size_bytes ?? 0) > maxSinglePutBytes) {
        throw new BadRequestError(`One ${method.toUpperCase()} takes at most ${maxSinglePutBytes} bytes: upload this file with upload_method multipart`);
      }
    }
    const existing = request.file_entity_id ? await this.activeRecord(caller, request.file_entity_id, 'edit') : undefined;
    const ticket = method === 'multipart' ? await this.createMultipartUpload(caller, request, existing?.id) : await this.createSingleUpload(caller, request);
    return { ...ticket, ...(existing ? { public_url: publicFileUrl(caller.apiUrl, caller.org, existing.id) } : {}) };
  }

  /** A PUT URL or a form for one temp object, recorded so that it can be signed again (refresh). */
  private async createSingleUpload(caller: Caller, request: UploadRequest): Promise<SingleUploadTicket> {
    const uploadId = this.newId();
    const key = tempKey(caller.org, uploadId, request.filename);
    const now = this.now();
    const pending: PendingUpload = {
      org: caller.org,
      upload_id: uploadId,
      method: request.upload_method === 'post' ? 'post' : 'put',
      key,
      filename: request.filename,
      ...(request.mime_type !== undefined ? { mime_type: request.mime_type } : {}),
      ...(request.size_bytes !== undefined ? { size_bytes: request.size_bytes } : {}),
      ...(request.checksum_sha256 !== undefined ? { checksum_sha256: request.checksum_sha256 } : {}),
      ...(request.upload_method === 'post' ? { max_size_bytes: request.size_bytes ?? Math.min(this.limits.maxUploadBytes, maxSinglePutBytes) } : {}),
      created_by: caller.userId,
      created_at: now.toISOString(),
      expires_at: this.window.claimExpiry(now),
    };
    const [ticket] = await Promise.all([this.signUpload(pending), this.repository.putPendingUpload(pending)]);
    return ticket;
  }

  /** The URL (or form) of a single-request upload, signed for what the upload declared. */
  private async signUpload(pending: PendingUpload): Promise<SingleUploadTicket> {
    const s3ref = { bucket: this.store.bucket, key: pending.key };
    const contentType = pending.mime_type !== undefined ? { contentType: pending.mime_type } : {};
    const checksum = pending.checksum_sha256 !== undefined ? { checksumSha256: pending.checksum_sha256 } : {};
    if (pending.method === 'post') {
      const max_size_bytes = pending.max_size_bytes ?? Math.min(this.limits.maxUploadBytes, maxSinglePutBytes);
      const post = await this.store.presignPost(pending.key, { ...contentType, ...checksum, maxBytes: max_size_bytes });
      return { s3ref, upload_url: post.url, upload_fields: post.fields, max_size_bytes };
    }
    const upload_url = await this.store.presignUpload(pending.key, {
      ...contentType,
      ...(pending.size_bytes !== undefined ? { contentLength: pending.size_bytes } : {}),
      ...checksum,
    });
    return { s3ref, upload_url };
  }

  /**
   * A new URL for an upload whose URL may have expired, signed exactly as the first (Medable's
   * refresh): only while the upload can still be saved and has not been, else a 404.
   */
  async refreshUpload(caller: Caller, s3ref: S3Ref): Promise<SingleUploadTicket> {
    const upload = s3ref.bucket === this.store.bucket ? parseTempKey(caller.org, s3ref.key) : undefined;
    const gone = new NotFoundError('Upload not found: it was saved, has expired, or is not an upload of yours; ask uploadFile for a new one');
    if (!upload) throw gone;
    const [pending, claim] = await Promise.all([
      this.repository.getPendingUpload(caller.org, upload.uploadId),
      this.repository.getClaim(caller.org, upload.uploadId),
    ]);
    if (!pending || pending.key !== s3ref.key || claim || this.window.isExpired(new Date(pending.created_at), this.now())) throw gone;
    return this.signUpload(pending);
  }

  /**
   * A resumable upload in parts, made at the permanent key of the version it will be: saving
   * it completes it there and moves no bytes. Parts of an upload never saved are freed by the
   * bucket's abort-incomplete-multipart rule; its pending record expires with its window.
   */
  private async createMultipartUpload(caller: Caller, request: UploadRequest, fileId: string | undefined): Promise<MultipartUploadTicket> {
    const uploadId = this.newId();
    const key = permanentKey(caller.org, fileId ?? uploadId, uploadId, request.filename);
    const max_size_bytes = Math.min(request.size_bytes ?? this.limits.maxUploadBytes, maxMultipartBytes);
    const part_size = partSizeFor(max_size_bytes);
    const partChecksums = request.checksum_algorithm === 'SHA256';
    const multipartUploadId = await this.store.createMultipartUpload(key, {
      ...(request.mime_type !== undefined ? { contentType: request.mime_type } : {}),
      ...(partChecksums ? { partChecksums } : {}),
    });
    const now = this.now();
    await this.repository.putPendingUpload({
      org: caller.org,
      upload_id: uploadId,
      method: 'multipart',
      key,
      ...(partChecksums ? { part_checksums: true } : {}),
      multipart_upload_id: multipartUploadId,
      part_size,
      filename: request.filename,
      ...(request.mime_type !== undefined ? { mime_type: request.mime_type } : {}),
      ...(request.size_bytes !== undefined ? { size_bytes: request.size_bytes } : {}),
      created_by: caller.userId,
      created_at: now.toISOString(),
      expires_at: this.window.claimExpiry(now),
    });
    return {
      s3ref: { bucket: this.store.bucket, key },
      upload_method: 'multipart',
      upload_id: uploadId,
      part_size,
      max_size_bytes,
      ...(partChecksums ? { checksum_algorithm: 'SHA256' as const } : {}),
    };
  }

  /** Presigns one S3 call of an upload the caller's browser makes itself (Uppy's `signRequest`). */
  signUploadRequest(caller: Caller, request: SignableRequest): Promise<SignedRequest> {
    return signUploadRequest(this.store, { org: caller.org, newId: this.newId, assertTypeAllowed: (type) => this.assertTypeAllowed(type) }, request);
  }

  /** URLs that PUT these parts of the caller's org's multipart upload. */
  async presignParts(
    caller: Caller,
    uploadId: string,
    partNumbers: readonly number[],
    checksums: Readonly<Record<string, string>> = {},
  ): Promise<PartUrls> {
    const pending = await this.pendingUpload(caller, uploadId);
    const numbers = [...new Set(partNumbers)];
    if (pending.part_checksums) {
      const missing = numbers.find((number) => checksums[String(number)] === undefined);
      if (missing !== undefined) {
        throw new BadRequestError(`This upload checks every part: checksums_sha256 must give the SHA-256 of part ${missing}`);
      }
    } else if (Object.keys(checksums).length > 0) {
      throw new BadRequestError('This upload was made without part checksums: ask uploadFile for checksum_algorithm SHA256 to use them');
    }
    const stray = Object.keys(checksums).find((number) => !numbers.includes(Number(number)));
    if (stray !== undefined) throw new BadRequestError(`checksums_sha256 names part ${truncate(stray)}, which part_numbers does not list`);
    const parts = await Promise.all(
      numbers.map(async (part_number) => ({
        part_number,
        url: await this.store.presignPart(pending.key, pending.multipart_upload_id, part_number, checksums[String(part_number)]),
      })),
    );
    return { upload_id: uploadId, parts };
  }

  /** The parts S3 already holds of the upload, so a client resumes with the others. */
  async listUploadParts(caller: Caller, uploadId: string): Promise<UploadParts> {
    const pending = await this.pendingUpload(caller, uploadId);
    const parts = await this.store.listParts(pending.key, pending.multipart_upload_id);
    if (!parts) throw new NotFoundError(`Upload ${uploadId} was aborted or saved`);
    return {
      upload_id: uploadId,
      s3ref: { bucket: this.store.bucket, key: pending.key },
      part_size: pending.part_size,
      parts: parts.map((part) => ({
        part_number: part.partNumber,
        size_bytes: part.size,
        etag: part.etag,
        ...(part.lastModified ? { uploaded_at: part.lastModified.toISOString() } : {}),
      })),
    };
  }

  /** Aborts the upload: S3 frees its parts, and it can no longer be saved. */
  async abortUpload(caller: Caller, uploadId: string): Promise<void> {
    const pending = await this.pendingUpload(caller, uploadId);
    await retryable(async () => {
      await this.store.abortMultipartUpload(pending.key, pending.multipart_upload_id);
      await this.repository.deletePendingUpload(caller.org, uploadId);
    });
  }

  /** The caller's org's multipart upload of this id, while it can still be saved. */
  private async pendingUpload(caller: Caller, uploadId: string): Promise<MultipartPending> {
    if (!isUuid(uploadId)) throw new BadRequestError(`Upload id must be the UUID uploadFile returned, got "${truncate(uploadId)}"`);
    const pending = await this.repository.getPendingUpload(caller.org, uploadId);
    if (!pending || !isMultipart(pending) || this.window.isExpired(new Date(pending.created_at), this.now())) {
      throw new NotFoundError(`Upload ${uploadId} not found: it was aborted, saved or has expired, or is not a multipart upload`);
    }
    return pending;
  }

  /**
   * Turns an uploaded temp object into a file, or a new version of one. Safe to repeat: a
   * new file takes its upload's id, the permanent key depends only on the upload, and the
   * upload's claim is written with the version, so a retried or repeated save finishes the
   * first one or answers what it became, and never leaves a second file or object.
   *
   * Our own records decide first: a claimed upload answers what it became without touching
   * any bytes (on AWS a gone temp object is a 403, not a 404, and a saved version's bytes must
   * never change). Before copying, the save records its intent (the key, and the ETag of the
   * bytes it inspected) while the upload is unclaimed; the copy is conditional on that ETag.
   * Once the version is written the intent is forgotten; an intent that is never forgotten
   * expires, and its copy is reaped unless a version references it.
   */
  async save(caller: Caller, request: SaveRequest, options: SaveOptions): Promise<{ entity: FileEntity; created: boolean }> {
    const upload = this.ownUpload(caller, request.s3ref);
    if (request.owners) assertMaySaveFor(caller);
    const acl = grantsOf(caller.org, request);
    const owners = request.owners ? ownersOf(caller.org, request.owners) : undefined;
    const { acl: _requested, owners: _requestedOwners, ...metadata } = request;
    assertMetadataFits({ ...metadata, ...(acl ? { acl } : {}), ...(owners ? { owners } : {}) });
    const targetId = saveTarget(upload, request.id);
    return retryable(async () => {
      // Both reads are needed before any byte is touched, and neither depends on the other.
      const [done, found] = await Promise.all([
        this.replay(caller, upload.uploadId),
        targetId ? this.activeRecord(caller, targetId, 'edit').then(
          (record) => ({ record }),
          (error: unknown) => ({ error }),
        ) : undefined,
      ]);
      if (done instanceof NotFoundError) throw done;
      if (done) return done;
      if (found && 'error' in found) throw found.error;
      const existing = found?.record;
      if (existing && acl && !may(caller, guardOf(existing), 'share')) throw cannot(existing.id, 'share');
      if (existing && owners && !may(caller, guardOf(existing), 'share')) throw cannotChangeOwners(existing.id);
      const saving = { ...request, ...(owners ? { owners } : {}) };
      if (upload.multipart) return this.saveMultipart(caller, saving, options, upload, existing);
      const object = await this.store.inspect(request.s3ref.key, sniffLength).catch((error: unknown) => {
        if (error instanceof SourceChangedError) throw new ConflictError('The uploaded object changed while it was being saved; save it again');
        throw error;
      });
      if (!object) {
        // A concurrent save of the same upload may have finished and removed the temp object.
        const replay = await this.replay(caller, upload.uploadId);
        if (replay instanceof NotFoundError) throw replay;
        if (replay) return replay;
        throw new NotFoundError(
          `Uploaded object not found: upload the bytes to upload_url first (uploads can be saved for ${this.window.days} day(s))`,
        );
      }
      const createdAt = this.now();
      this.assertWithinWindow(object.lastModified, createdAt);
      const mimeType = await this.checkedType(object, request, upload.name);

      const fileId = existing?.id ?? upload.uploadId;
      const key = permanentKey(caller.org, fileId, upload.uploadId, upload.name);
      const intent: SaveIntent = {
        org: caller.org,
        upload_id: upload.uploadId,
        key,
        etag: object.etag,
        expires_at: this.window.intentExpiry(object.lastModified),
      };

      let saved: { entity: FileEntity; created: boolean };
      try {
        await this.repository.recordIntent(intent);
        await this.store.copy(request.s3ref.key, key, object.etag, object);
        saved = await this.writeVersion(caller, saving, options, { uploadId: upload.uploadId, name: upload.name, key, existing, object, mimeType, createdAt });
      } catch (error) {
        return this.finish(await this.recoverSave(caller, upload.uploadId, key, error), request, options);
      }
      // Kept out of the version's transaction, which is the hot path of concurrent saves: an
      // intent left behind only costs the reaper a look at the claim when it expires, and a
      // pending record left behind expires with the upload's window.
      const forgetting = Promise.all([
        this.repository.forgetIntent(intent).catch(() => undefined),
        this.repository.deletePendingUpload(caller.org, upload.uploadId).catch(() => undefined),
      ]).then(() => undefined);
      return this.finish(saved, request, options, forgetting);
    });
  }

  /**
   * Saves a multipart upload where it is: completes it at its permanent key from the parts S3
   * holds (all of them, in order, none missing), checks the object like any upload, and writes
   * the version. The intent is recorded before the upload is completed, so an object whose
   * version is never written is reaped. A save that stopped after completing it is finished by
   * the next save, which finds the object and the intent.
   */
  private async saveMultipart(
    caller: Caller,
    request: SaveRequest,
    options: SaveOptions,
    upload: { uploadId: string; name: string },
    existing: FileRecord | undefined,
  ): Promise<{ entity: FileEntity; created: boolean }> {
    const key = request.s3ref.key;
    const found = await this.repository.getPendingUpload(caller.org, upload.uploadId);
    const pending = found && isMultipart(found) ? found : undefined;
    const notFound = () => new NotFoundError(`Upload ${upload.uploadId} not found: it was aborted or has expired; upload again`);
    if (pending) {
      this.assertWithinWindow(new Date(pending.created_at), this.now());
      const parts = await this.store.listParts(key, pending.multipart_upload_id);
      if (parts) {
        const complete = partsToComplete(parts, pending.size_bytes);
        this.assertSizeAllowed(complete.size);
        try {
          await this.repository.recordIntent(this.multipartIntent(caller, pending));
          await this.store.completeMultipartUpload(key, pending.multipart_upload_id, complete.parts);
        } catch (error) {
          if (error instanceof PartsChangedError) {
            throw new ConflictError(`The uploaded parts changed while the upload was being saved (${truncate(error.message)}); save it again`);
          }
          return this.finish(await this.recoverSave(caller, upload.uploadId, key, error), request, { ...options, deleteTempFile: false });
        }
      }
    }
    const [object, intent] = await Promise.all([this.store.inspect(key, sniffLength), this.repository.getIntent(caller.org, upload.uploadId)]);
    // Completed by a save of this upload: its intent names the key. Anything else is not ours to save.
    if (!object || intent?.key !== key) {
      const replay = await this.replay(caller, upload.uploadId);
      if (replay instanceof NotFoundError) throw replay;
      if (replay) return replay;
      throw notFound();
    }
    const createdAt = this.now();
    let mimeType: string;
    try {
      mimeType = await this.checkedType(object, request, upload.name);
    } catch (error) {
      // Refused bytes are nobody's: they go now, with the upload.
      await this.store.delete([key]);
      await Promise.all([this.repository.forgetIntent(intent), this.repository.deletePendingUpload(caller.org, upload.uploadId)]);
      throw error;
    }
    let saved: { entity: FileEntity; created: boolean };
    try {
      saved = await this.writeVersion(caller, request, options, { uploadId: upload.uploadId, name: upload.name, key, existing, object, mimeType, createdAt });
    } catch (error) {
      return this.finish(await this.recoverSave(caller, upload.uploadId, key, error), request, { ...options, deleteTempFile: false });
    }
    await Promise.all([
      this.repository.forgetIntent(intent).catch(() => undefined),
      this.repository.deletePendingUpload(caller.org, upload.uploadId).catch(() => undefined),
    ]);
    return saved;
  }

  /** A multipart upload's intent names the upload itself: its ETag is only known once it is complete. */
  private multipartIntent(caller: Caller, pending: MultipartPending): SaveIntent {
    return {
      org: caller.org,
      upload_id: pending.upload_id,
      key: pending.key,
      etag: `multipart:${pending.multipart_upload_id}`,
      expires_at: this.window.intentExpiry(new Date(pending.created_at)),
    };
  }

  /** Refuses an upload whose window closed: a save measures it from the upload itself. */
  private assertWithinWindow(uploadedAt: Date, now: Date): void {
    if (this.window.isExpired(uploadedAt, now)) {
      throw new NotFoundError(
        `Uploaded object expired: uploads can be saved for ${this.window.days} day(s) after their bytes were uploaded; upload again`,
      );
    }
  }

  /** The type the saved bytes get, once their size and type pass the service's checks. */
  private async checkedType(object: StoredObject, request: SaveRequest, uploadName: string): Promise<string> {
    this.assertSizeAllowed(object.size);
    const mimeType = await resolveMimeType({ stored: object.contentType, declared: request.mime_type, filename: request.filename ?? uploadName, head: object.start });
    this.assertTypeAllowed(mimeType);
    if (!(await contentMatchesType(mimeType, object.start))) {
      throw new UnsupportedMediaTypeError(`The uploaded bytes are not ${mimeEssence(mimeType)}`);
    }
    return mimeType;
  }

  /** Writes the version the bytes at `key` became, with the upload's claim: a new file, or the next version of one. */
  private async writeVersion(
    caller: Caller,
    request: SaveRequest,
    options: SaveOptions,
    saved: { uploadId: string; name: string; key: string; existing: FileRecord | undefined; object: StoredObject; mimeType: string; createdAt: Date },
  ): Promise<{ entity: FileEntity; created: boolean }> {
    const { existing, object, createdAt } = saved;
    const version: Omit<FileVersion, 'version'> = {
      s3ref: { bucket: this.store.bucket, key: saved.key },
      filename: request.filename ?? saved.name,
      mime_type: saved.mimeType,
      size_bytes: object.size,
      ...(object.checksumSha256 ? { checksum_sha256: object.checksumSha256 } : {}),
      created_at: createdAt.toISOString(),
      created_by: caller.userId,
    };
    const claim = {
      org: caller.org,
      upload_id: saved.uploadId,
      file_id: existing?.id ?? saved.uploadId,
      created: !existing,
      expires_at: this.window.claimExpiry(createdAt),
    };
    const entity = existing
      ? await this.appendVersion(caller, existing, version, request, options.versionOnly, claim)
      : await this.createFile(caller, saved.uploadId, version, request, claim);
    return { entity, created: !existing };
  }

  /**
   * A file sent in the request itself (at most `maxDirectUploadBytes`): written as an upload
   * of the caller's, then saved exactly as any upload is, with the same checks. A save that
   * fails leaves the upload to the temp/ expiry, as an unsaved upload is.
   */
  async saveDirect(
    caller: Caller,
    content: { bytes: Uint8Array; filename: string; mime_type?: string },
    request: Omit<SaveRequest, 's3ref' | 'filename' | 'mime_type'>,
    options: SaveOptions,
  ): Promise<{ entity: FileEntity; created: boolean }> {
    if (content.bytes.length > maxDirectUploadBytes) {
      throw new PayloadTooLargeError(
        `content_base64 holds ${content.bytes.length} bytes; a direct upload takes at most ${maxDirectUploadBytes}: use uploadFile for larger files`,
      );
    }
    this.assertSizeAllowed(content.bytes.length);
    const key = tempKey(caller.org, this.newId(), content.filename);
    await retryable(() => this.store.putObject(key, content.bytes, content.mime_type));
    return this.save(
      caller,
      {
        ...request,
        s3ref: { bucket: this.store.bucket, key },
        filename: content.filename,
        ...(content.mime_type !== undefined ? { mime_type: content.mime_type } : {}),
      },
      options,
    );
  }

  /**
   * A file the service fetches itself (`source_url`, under lambdas/core/source-url.ts's rules):
   * streamed into an upload of the caller's as it arrives, then saved exactly as any upload is,
   * with the same checks. Its name and type default to what the source says. A save that
   * fails removes that upload again (else the temp/ expiry does); a fetch that fails midway
   * aborts its multipart upload (else the bucket's abort-incomplete rule does).
   */
  async saveFromUrl(
    caller: Caller,
    source: { url: string; filename?: string; mime_type?: string },
    request: Omit<SaveRequest, 's3ref' | 'filename' | 'mime_type'>,
    options: SaveOptions,
  ): Promise<{ entity: FileEntity; created: boolean }> {
    if (!this.sources) throw new BadRequestError('source_url is not supported here: upload the bytes with uploadFile and save the s3ref');
    const maxBytes = this.limits.maxUploadBytes;
    const fetched = await this.sources.fetch(source.url, { maxBytes });
    const filename = source.filename ?? sourceFilename(fetched.url, fetched.contentDisposition);
    const mimeType = source.mime_type ?? sourceMimeType(fetched.contentType);
    const key = tempKey(caller.org, this.newId(), filename);
    await retryable(() => this.store.putStream(key, fetched.body, { ...(mimeType !== undefined ? { contentType: mimeType } : {}), maxBytes }));
    try {
      return await this.save(
        caller,
        { ...request, s3ref: { bucket: this.store.bucket, key }, filename, ...(mimeType !== undefined ? { mime_type: mimeType } : {}) },
        options,
      );
    } catch (error) {
      // The client never learned this upload's key, and a retry fetches again under a new one:
      // an upload whose save failed (a refused type, say) serves no one.
      await this.removeTemp(key);
      throw error;
    }
  }

  /** A save's clean-up, which its answer need not wait for in turn: intent and temp object. */
  private async finish<T>(saved: T, request: SaveRequest, options: SaveOptions, forgetting?: Promise<void>): Promise<T> {
    await Promise.all([forgetting, options.deleteTempFile ? this.removeTemp(request.s3ref.key) : undefined]);
    return saved;
  }

  async get(caller: Caller, id: string): Promise<FileEntity> {
    return (await this.getTagged(caller, id)).entity;
  }

  /** The file and its ETag, which names this revision of it for a later If-Match. */
  async getTagged(caller: Caller, id: string): Promise<{ entity: FileEntity; etag: string }> {
    const record = await this.activeRecord(caller, id);
    return { entity: await this.render(caller, record), etag: entityTag(record) };
  }

  /**
   * Changes the file's metadata (name, title, tags, relations, access) without adding a
   * version. Concurrent updates never overwrite each other unseen: each is a conditional write
   * of the revision it read, retried on a fresh read; with If-Match, a changed file is a 412.
   */
  async update(
    caller: Caller,
    id: string,
    patch: MetadataPatch,
    options: UpdateOptions = {},
  ): Promise<{ entity: FileEntity; etag: string }> {
    assertFileId(id);
    return retryable(async () => {
      const deadline = Date.now() + versionRaceBudgetMs;
      for (let attempt = 1; ; attempt += 1) {
        const current = await this.activeRecord(caller, id, 'edit');
        const etag = entityTag(current);
        if (options.ifMatch && !options.ifMatch.some((tag) => tag === '*' || tag === etag)) {
          throw new PreconditionFailedError(`File ${id} has changed: its ETag is now ${etag}; read it again and reapply the change`);
        }
        const acl = patch.acl ? grantsOf(current.org, { acl: patch.acl }) : undefined;
        if (acl && !may(caller, guardOf(current), 'share')) throw cannot(id, 'share');
        const owners = patch.owners ? ownersOf(current.org, patch.owners) : undefined;
        if (owners && !may(caller, guardOf(current), 'share')) throw cannotChangeOwners(id);
        const record: FileRecord = {
          ...current,
          ...(acl ? { acl } : {}),
          ...(owners ? { owners } : {}),
          ...(patch.filename !== undefined ? { filename: patch.filename } : {}),
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
          ...(patch.relations !== undefined ? { relations: patch.relations } : {}),
          ...(patch.access_control !== undefined ? { access_control: patch.access_control } : {}),
          updated_at: this.now().toISOString(),
          updated_by: caller.userId,
          revision: (current.revision ?? 0) + 1,
        };
        assertMetadataFits(record);
        try {
          await this.repository.update(record, current);
          return { entity: await this.render(caller, record), etag: entityTag(record) };
        } catch (error) {
          if (error instanceof InvalidItemError) {
            throw new BadRequestError(`The file's metadata cannot be stored: ${error instanceof TooManyItemsError ? error.message : truncate(error.message)}`);
          }
          if (!(error instanceof StaleWriteError)) throw error;
          if (Date.now() > deadline) throw new ConflictError('Too many concurrent changes to this file; retry the request');
          await sleep(Math.random() * Math.min(100, 2 * 2 ** attempt));
        }
      }
    });
  }

  /** Every version of the file, newest first, a page at a time. */
  async listVersions(caller: Caller, id: string, request: VersionPageRequest): Promise<VersionPage> {
    return versionPage(this.repository, await this.activeRecord(caller, id), request);
  }

  /** Deletes the file, the bytes of every version and their previews. Retrying finishes a delete cut short. */
  async delete(caller: Caller, id: string): Promise<FileEntity> {
    assertFileId(id);
    return retryable(async () => {
      // A delete cut short is finished by whoever may delete the file.
      const found = await findFile(this.repository, caller, id);
      if (!found || !may(caller, guardOf(found), 'view')) throw notFound(id);
      if (!may(caller, guardOf(found), 'delete')) throw cannot(id, 'delete');
      const record = await this.repository.markDeleting(found.org, id, { by: caller.userId, at: new Date().toISOString() });
      if (!record) throw notFound(id);
      const [versions, previews] = await Promise.all([this.repository.listVersions(record.org, id), this.repository.listPreviewKeys(record.org, id)]);
      await this.store.delete([...versions.map((version) => version.s3ref.key), ...previews]);
      await this.repository.remove(record);
      return toFileEntity({ ...record, status: 'active' }, versions, publicFileUrl(caller.apiUrl, record.org, record.id));
    });
  }

  async download(caller: Caller, request: DownloadRequest): Promise<{ download_url: string }> {
    const record = await this.activeRecord(caller, request.id);
    const number = record.latest_version - request.version;
    const version = number >= 1 ? await this.repository.getVersion(record.org, record.id, number) : undefined;
    if (!version) {
      throw new NotFoundError(`Version ${request.version} not found: file ${record.id} has ${record.latest_version} version(s), 0 is the latest`);
    }
    const download_url = await presignVersionDownload(this.store, version, request.attachment);
    return { download_url };
  }

  /**
   * The files of these ids, in the order asked, each once; ids that are unknown, deleted or
   * not the caller's to view are listed as not found. All of it must fit one Lambda response.
   */
  async getMany(caller: Caller, ids: readonly string[]): Promise<{ results: FileEntity[]; not_found: string[] }> {
    const wanted = [...new Set(ids)];
    wanted.forEach(assertFileId);
    const own = await this.repository.getMany(caller.org, wanted);
    const found = new Set(own.map((record) => record.id));
    const missing = wanted.filter((id) => !found.has(id));
    const records = [...own, ...(missing.length > 0 ? await this.repository.getShared(caller.org, missing) : [])];
    const active = new Map(
      records.filter((record) => record.status === 'active' && may(caller, guardOf(record), 'view')).map((record) => [record.id, record]),
    );
    const results = await Promise.all(
      wanted.flatMap((id) => {
        const record = active.get(id);
        return record ? [this.render(caller, record)] : [];
      }),
    );
    const size = Buffer.byteLength(JSON.stringify(results));
    if (size > maxBatchResponseBytes) {
      throw new PayloadTooLargeError(
        `These files take ${size} bytes, more than one response carries (${maxBatchResponseBytes}): ask for fewer ids at a time`,
      );
    }
    return { results, not_found: wanted.filter((id) => !active.has(id)) };
  }

  /** One result per request, in order; a file that cannot be found gets an error entry. */
  async downloadMany(caller: Caller, requests: DownloadRequest[]): Promise<DownloadResult[]> {
    return Promise.all(
      requests.map(async (request): Promise<DownloadResult> => {
        try {
          return { file_entity_id: request.id, ...(await this.download(caller, request)) };
        } catch (error) {
          if (error instanceof NotFoundError || error instanceof BadRequestError) {
            return { file_entity_id: request.id, error: error.toJSON() };
          }
          throw error;
        }
      }),
    );
  }

  /**
   * A new file, or with `file_entity_id` a new version of another file of the caller's org,
   * from the bytes of one version of a file the caller may view, copied inside the bucket (a big
   * one in parallel parts); its type and checksum carry over. A file another org shares with the
   * caller may be copied too: viewing it already hands out its bytes, and the copy is a file of
   * the caller's org, stored and answered for by it, with none of the source's grants.
   *
   * As a save does, the copy records its intent before copying and forgets it once the version
   * is written: a copy whose version never gets written is deleted by the orphan reaper when
   * the intent expires. Each copy is a new upload of its own, so repeating a request copies again.
   */
  async copy(caller: Caller, id: string, request: CopyRequest): Promise<{ entity: FileEntity; created: boolean }> {
    assertFileId(id);
    if (request.owners) assertMaySaveFor(caller);
    const acl = grantsOf(caller.org, request);
    const owners = request.owners ? ownersOf(caller.org, request.owners) : undefined;
    const { acl: _requested, owners: _requestedOwners, ...metadata } = request;
    assertMetadataFits({ ...metadata, ...(acl ? { acl } : {}), ...(owners ? { owners } : {}) });
    return retryable(async () => {
      const source = await this.activeRecord(caller, id);
      const target = request.file_entity_id ? await this.activeRecord(caller, request.file_entity_id, 'edit') : undefined;
      if (target && (acl || owners) && !may(caller, guardOf(target), 'share')) {
        throw acl ? cannot(target.id, 'share') : cannotChangeOwners(target.id);
      }
      const number = source.latest_version - request.version;
      const from = number >= 1 ? await this.repository.getVersion(source.org, source.id, number) : undefined;
      if (!from) {
        throw new NotFoundError(`Version ${request.version} not found: file ${source.id} has ${source.latest_version} version(s), 0 is the latest`);
      }
      // The ETag names the bytes the copy is conditional on; the size and type choose how S3 copies.
      const object = await this.store.inspect(from.s3ref.key, 1);
      if (!object) throw new NotFoundError(`The bytes of file ${source.id} are gone: it is being deleted`);

      const uploadId = this.newId();
      const fileId = target?.id ?? uploadId;
      const filename = request.filename ?? from.filename;
      const key = permanentKey(caller.org, fileId, uploadId, filename);
      const createdAt = this.now();
      const version: Omit<FileVersion, 'version'> = {
        s3ref: { bucket: this.store.bucket, key },
        filename,
        mime_type: from.mime_type,
        size_bytes: object.size,
        ...(from.checksum_sha256 ? { checksum_sha256: from.checksum_sha256 } : {}),
        created_at: createdAt.toISOString(),
        created_by: caller.userId,
      };
      const claim = { org: caller.org, upload_id: uploadId, file_id: fileId, created: !target, expires_at: this.window.claimExpiry(createdAt) };
      const intent: SaveIntent = { org: caller.org, upload_id: uploadId, key, etag: object.etag, expires_at: this.window.intentExpiry(createdAt) };
      const saving: SaveRequest = { ...metadata, ...(owners ? { owners } : {}), s3ref: version.s3ref };
      try {
        await this.repository.recordIntent(intent);
        await this.store.copy(from.s3ref.key, key, object.etag, object);
        const entity = target
          ? await this.appendVersion(caller, target, version, saving, false, claim)
          : await this.createFile(caller, fileId, version, saving, claim);
        await this.repository.forgetIntent(intent).catch(() => undefined);
        return { entity, created: !target };
      } catch (error) {
        // A copy already made stays until its intent expires; then the reaper deletes it.
        if (error instanceof SourceChangedError) {
          throw new ConflictError(`The bytes of file ${source.id} changed or were deleted while they were being copied; copy it again`);
        }
        if (error instanceof InvalidItemError) {
          throw new BadRequestError(`The file's metadata cannot be stored: ${error instanceof TooManyItemsError ? error.message : truncate(error.message)}`);
        }
        throw error;
      }
    });
  }

  private async createFile(
    caller: Caller,
    id: string,
    version: Omit<FileVersion, 'version'>,
    request: SaveRequest,
    claim: Omit<UploadClaim, 'version'>,
  ): Promise<FileEntity> {
    const first: FileVersion = { ...version, version: 1 };
    const record: FileRecord = {
      id,
      org: caller.org,
      access_control: 'private',
      tags: [],
      relations: [],
      ...metadataOf(first, request),
      created_at: first.created_at,
      created_by: caller.userId,
      updated_at: first.created_at,
      updated_by: caller.userId,
      latest_version: 1,
      revision: 1,
      latest: latestOf(first),
      // Checked by save: only service tokens and org admins save for others.
      owners: request.owners ?? [{ org_id: caller.org, user_id: caller.userId }],
      acl: grantsOf(caller.org, request) ?? orgWideAcl(caller.org),
      s3ref: first.s3ref,
      status: 'active',
    };
    await this.repository.create(record, first, { ...claim, version: 1 });
    return toFileEntity(record, [first], publicFileUrl(caller.apiUrl, record.org, record.id));
  }

  /**
   * Adds a version with an optimistic, conditional transaction: if another save got there
   * first, re-read and try the next number, so concurrent saves never lose a version. The
   * first attempt starts from the entity as the save already read it.
   */
  private async appendVersion(
    caller: Caller,
    existing: FileRecord,
    version: Omit<FileVersion, 'version'>,
    request: SaveRequest,
    versionOnly: boolean,
    claim: Omit<UploadClaim, 'version'>,
  ): Promise<FileEntity> {
    const deadline = Date.now() + versionRaceBudgetMs;
    let current = existing;
    for (let attempt = 1; ; attempt += 1) {
      const next: FileVersion = { ...version, version: current.latest_version + 1 };
      const metadata = versionOnly ? {} : metadataOf(next, request);
      // Checked before any byte moved: only those who may share the file send grants here.
      const acl = grantsOf(current.org, request);
      const record: FileRecord = {
        ...current,
        ...metadata,
        ...(acl ? { acl } : {}),
        ...(request.owners ? { owners: request.owners } : {}),
        // The entity always points at its newest bytes, even when its metadata is kept.
        s3ref: next.s3ref,
        latest_version: next.version,
        latest: latestOf(next),
        updated_at: next.created_at,
        updated_by: caller.userId,
        revision: (current.revision ?? 0) + 1,
      };
      try {
        await this.repository.addVersion(record, next, { ...claim, version: next.version }, current);
        return this.render(caller, record);
      } catch (error) {
        if (!(error instanceof StaleWriteError)) throw error;
        if (Date.now() > deadline) {
          throw new ConflictError('Too many concurrent changes to this file; retry the request');
        }
        await sleep(Math.random() * Math.min(100, 2 * 2 ** attempt));
        current = await this.activeRecord(caller, existing.id, 'edit');
      }
    }
  }

  /**
   * A save failed after recording its intent. If the upload was saved after all (a repeated
   * save, or a write that committed before its answer was lost), answer with that. If the
   * file was deleted meanwhile, nothing can ever point at the copy, so remove it. Otherwise
   * the copy stays where a retry of the same save will use it, and where the orphan reaper
   * finds it through the intent if no retry ever comes.
   */
  private async recoverSave(
    caller: Caller,
    uploadId: string,
    key: string,
    error: unknown,
  ): Promise<{ entity: FileEntity; created: boolean }> {
    const outcome = error instanceof HttpError ? undefined : await this.replay(caller, uploadId).catch(() => undefined);
    if (error instanceof NotFoundError || outcome instanceof NotFoundError) {
      await this.store.delete([key]).catch(() => undefined);
      throw outcome ?? error;
    }
    if (outcome) return outcome;
    if (error instanceof SourceChangedError) {
      throw new ConflictError('The uploaded object changed or disappeared while it was being saved; save it again');
    }
    if (error instanceof IntentConflictError) {
      throw new ConflictError('This upload is being saved with other bytes or as another file right now; retry, or upload again');
    }
    if (error instanceof InvalidItemError) {
      throw new BadRequestError(`The file's metadata cannot be stored: ${error instanceof TooManyItemsError ? error.message : truncate(error.message)}`);
    }
    throw error;
  }

  /**
   * What an already saved upload became: the file, a NotFoundError if that file has since been
   * deleted, or undefined if the upload was never saved.
   */
  private async replay(
    caller: Caller,
    uploadId: string,
  ): Promise<{ entity: FileEntity; created: boolean } | NotFoundError | undefined> {
    const claim = await this.repository.getClaim(caller.org, uploadId);
    if (!claim) return undefined;
    const record = await this.repository.get(caller.org, claim.file_id);
    if (!record || record.status !== 'active') {
      return new NotFoundError(`This upload was saved as file ${claim.file_id}, which has since been deleted`);
    }
    // What an upload became is the file's to tell: only to those who may view it.
    if (!may(caller, guardOf(record), 'view')) return new NotFoundError(`Upload ${uploadId} not found`);
    return { entity: await this.render(caller, record), created: claim.created };
  }

  /** The lifecycle rule removes a temp object that could not be deleted now. */
  private async removeTemp(key: string): Promise<void> {
    await this.store.delete([key]).catch(() => undefined);
  }

  /**
   * The entity with its newest versions only: a response must stay small however many there
   * are. Up to the limit, reading them all is reading exactly that, and it avoids a Query with
   * Limit, which DynamoDB Local serves far slower while concurrent saves write the same file.
   */
  private async render(caller: Caller, record: FileRecord): Promise<FileEntity> {
    const versions =
      record.latest_version > entityVersionLimit
        ? (await this.repository.listVersionPage(record.org, record.id, { limit: entityVersionLimit })).versions
        : await this.repository.listVersions(record.org, record.id);
    return toFileEntity(record, versions, publicFileUrl(caller.apiUrl, record.org, record.id));
  }

  /**
   * The file, if the caller may do `action` with it. A file the caller may not view does not
   * exist for them (404); one they may view but not change is a 403.
   */
  private async activeRecord(caller: Caller, id: string, action: Action = 'view'): Promise<FileRecord> {
    const record = await findViewableFile(this.repository, caller, id);
    if (!may(caller, guardOf(record), action)) throw cannot(id, action);
    return record;
  }

  /**
   * Only the caller's own uploads in this service's bucket can become files: a temp upload, or
   * a multipart upload at its permanent key (which names the file it is for).
   */
  private ownUpload(caller: Caller, s3ref: S3Ref): OwnUpload {
    if (s3ref.bucket !== this.store.bucket) {
      throw new BadRequestError(`s3ref.bucket must be the bucket returned by uploadFile (${this.store.bucket})`);
    }
    const upload = parseTempKey(caller.org, s3ref.key);
    if (upload) return upload;
    const multipart = parsePermanentKey(caller.org, s3ref.key);
    if (multipart) return { uploadId: multipart.uploadId, name: multipart.name, multipart: { fileId: multipart.fileId } };
    if ((s3ref.key.startsWith('temp/') && !s3ref.key.startsWith(tempPrefixOf(caller.org))) || (s3ref.key.startsWith('files/') && !s3ref.key.startsWith(filesPrefixOf(caller.org)))) {
      throw new ForbiddenError('s3ref.key is not an upload of your organization');
    }
    throw new BadRequestError('s3ref.key must be the key returned by uploadFile');
  }

  private assertSizeAllowed(size: number): void {
    if (size > this.limits.maxUploadBytes) {
      throw new PayloadTooLargeError(`File is ${size} bytes; the limit is ${this.limits.maxUploadBytes} bytes`);
    }
  }

  private assertTypeAllowed(mimeType: string): void {
    const allowed = this.limits.allowedMimeTypes;
    if (!isAllowedType(allowed, mimeType)) {
      throw new UnsupportedMediaTypeError(
        `Files of type ${mimeEssence(mimeType)} are not accepted here; allowed types: ${allowed?.join(', ')}`,
      );
    }
  }
}

/** A pending multipart upload, with what only those have. */
type MultipartPending = PendingUpload & { multipart_upload_id: string; part_size: number };

function isMultipart(pending: PendingUpload): pending is MultipartPending {
  return pending.method === 'multipart' && pending.multipart_upload_id !== undefined && pending.part_size !== undefined;
}

/** An upload a save may turn into a version. */
interface OwnUpload {
  uploadId: string;
  name: string;
  /** A multipart upload, made at the permanent key of a version of this file. */
  multipart?: { fileId: string };
}

/**
 * The file a save adds a version to, if any. A multipart upload was made for one file (its
 * key names it): a save may only confirm it.
 */
function saveTarget(upload: OwnUpload, requestedId: string | undefined): string | undefined {
  if (!upload.multipart) return requestedId;
  const made = upload.multipart.fileId === upload.uploadId ? undefined : upload.multipart.fileId;
  if (requestedId !== undefined && requestedId !== made) {
    throw new BadRequestError(
      made
        ? `This upload was made for a new version of file ${made}; save it without another file id`
        : 'This upload was made for a new file: upload with file_entity_id to add a version to another file',
    );
  }
  return made;
}

function latestOf(version: FileVersion): NonNullable<FileRecord['latest']> {
  return {
    filename: version.filename,
    mime_type: version.mime_type,
    size_bytes: version.size_bytes,
    ...(version.checksum_sha256 ? { checksum_sha256: version.checksum_sha256 } : {}),
  };
}

/** The entity's metadata after saving `version`: derived from its bytes, overridden by the request. */
function metadataOf(
  version: FileVersion,
  request: SaveRequest,
): Pick<FileRecord, 'filename' | 'title' | 'type' | 'mime_type' | 'size_bytes'> &
  Partial<Pick<FileRecord, 'access_control' | 'tags' | 'relations' | 'custom_download_url'>> {
  return {
    filename: version.filename,
    title: request.title ?? version.filename,
    type: request.type ?? fileTypeOf(version.mime_type),
    mime_type: version.mime_type,
    size_bytes: version.size_bytes,
    ...(request.access_control ? { access_control: request.access_control } : {}),
    ...(request.tags ? { tags: request.tags } : {}),
    ...(request.relations ? { relations: request.relations } : {}),
    ...(request.custom_download_url ? { custom_download_url: request.custom_download_url } : {}),
  };
}

/**
 * Runs a write whose every step is safe to repeat: storage failing part-way becomes a 503
 * that tells the client to retry. Anything else is a fault of ours, which a retry would not
 * fix, and stays an internal error.
 */
async function retryable<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isTransient(error)) {
      throw new ServiceUnavailableError('Storage did not answer in time; nothing was lost, retry the same request', { cause: error });
    }
    throw error;
  }
}

function assertFileId(id: string): void {
  if (!isUuid(id)) throw new BadRequestError(`File id must be a UUID, got "${truncate(id)}"`);
}

function cannot(id: string, action: Action): ForbiddenError {
  if (action === 'share') return new ForbiddenError(`Only the owners of file ${id} and their org's admins may change its _acl`);
  const what = { view: 'view', edit: 'change', delete: 'delete' }[action];
  return new ForbiddenError(`You may view file ${id} but not ${what} it`);
}

/**
 * The grants a request asks for, normalized: `_acl` as given (actions it leaves out granted
 * to no one but the owners), or none but the owners' for `access: "owner"`; undefined when it
 * asks for neither. Another org, or its users, may be granted `view` only: a change or a
 * delete stays with the org that stores, pays for and answers for the file.
 */
function grantsOf(org: string, request: Pick<SaveRequest, 'acl' | 'access'>): Acl | undefined {
  if (!request.acl) return request.access === 'owner' ? ownersOnlyAcl() : undefined;
  let acl: Acl;
  try {
    acl = normalizeAcl(request.acl);
  } catch (error) {
    if (error instanceof InvalidPrincipalError || error instanceof RangeError) throw new BadRequestError(`_acl: ${error.message}`);
    throw error;
  }
  for (const action of ['edit', 'delete'] as const) {
    for (const principal of acl[action]) {
      if (parsePrincipal(principal).org !== org) {
        throw new BadRequestError(
          `_acl.${action}: ${truncate(principal)} is not of this file's org; another org and its users can be granted view only`,
        );
      }
    }
  }
  return acl;
}

const notFound = fileNotFound;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
