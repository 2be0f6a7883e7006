import { createHash } from 'node:crypto';
import { PayloadTooLargeError } from '../../../lambdas/core/errors';
import { FileService } from '../../../lambdas/core/file-service';
import { listingGrants, parsePrincipal } from '../../../lambdas/core/access';
import type { Caller, FileRecord, FileVersion } from '../../../lambdas/core/model';
import { guardOf } from '../../../lambdas/core/model';
import type {
  DeleteActor,
  FileRepository,
  MultipartCall,
  ObjectStore,
  PendingUpload,
  PresignedPost,
  SaveIntent,
  UploadClaim,
  UploadedPart,
  StoredObject as InspectedObject,
} from '../../../lambdas/core/ports';
import { AlreadySavedError, IntentConflictError, PartsChangedError, SourceChangedError, StaleWriteError } from '../../../lambdas/core/ports';

/** Lets other pending work run, so reads and writes of concurrent callers interleave. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

interface StoredObject {
  bytes: Uint8Array;
  contentType?: string;
  lastModified: Date;
  /** The checksum S3 verified at the PUT, when one was sent. */
  checksumSha256?: string;
}

/** S3's ETag of a single PUT: the quoted MD5 of the bytes. */
function etagOf(bytes: Uint8Array): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}

/** An in-memory bucket. Presigned URLs are fake but carry what was signed. */
export class FakeObjectStore implements ObjectStore {
  readonly objects = new Map<string, StoredObject>();
  readonly uploadsSigned: Array<{ key: string; contentType?: string; contentLength?: number; checksumSha256?: string }> = [];
  readonly postsSigned: Array<{ key: string; contentType?: string; maxBytes: number; checksumSha256?: string }> = [];
  readonly downloadsSigned: Array<{ key: string; filename: string; contentType: string; attachment: boolean }> = [];
  private failingDeletes = 0;

  constructor(readonly bucket = 'files-bucket') {}

  /** Every copy made, with the ETag it was conditional on. */
  readonly copies: Array<{ from: string; to: string; ifMatch: string }> = [];

  /** Puts bytes as a client would with a presigned PUT, by default written now. */
  put(key: string, bytes: Uint8Array | string, contentType?: string, lastModified = new Date()): void {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    this.objects.set(key, { bytes: data, lastModified, ...(contentType ? { contentType } : {}) });
  }

  async putObject(key: string, bytes: Uint8Array, contentType?: string): Promise<void> {
    this.put(key, bytes, contentType);
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array>, options: { contentType?: string; maxBytes: number }): Promise<void> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > options.maxBytes) throw new PayloadTooLargeError(`more than ${options.maxBytes} bytes`);
      chunks.push(chunk);
    }
    this.put(key, Buffer.concat(chunks), options.contentType);
  }

  /** Puts bytes with the header `x-amz-checksum-sha256` of their real digest, as S3 keeps it. */
  putChecksummed(key: string, bytes: Uint8Array | string, contentType?: string): string {
    this.put(key, bytes, contentType);
    const object = this.objects.get(key) as StoredObject;
    object.checksumSha256 = createHash('sha256').update(object.bytes).digest('base64');
    return object.checksumSha256;
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix));
  }

  /** The next `times` calls of `delete` fail before deleting anything. */
  failDeletes(times = 1): void {
    this.failingDeletes = times;
  }

  async presignUpload(key: string, options: { contentType?: string; contentLength?: number; checksumSha256?: string }): Promise<string> {
    this.uploadsSigned.push({ key, ...options });
    const signed = options.contentLength === undefined ? 'content-type' : 'content-length;content-type';
    return `https://${this.bucket}.example/${key}?X-Amz-SignedHeaders=${encodeURIComponent(signed)}`;
  }

  async presignPost(key: string, options: { contentType?: string; maxBytes: number; checksumSha256?: string }): Promise<PresignedPost> {
    this.postsSigned.push({ key, ...options });
    const fields: Record<string, string> = { key, policy: 'e30=', 'x-amz-signature': '00' };
    if (options.contentType !== undefined) fields['Content-Type'] = options.contentType;
    if (options.checksumSha256 !== undefined) fields['x-amz-checksum-sha256'] = options.checksumSha256;
    return { url: `https://${this.bucket}.example/`, fields };
  }

  async presignDownload(
    key: string,
    options: { filename: string; contentType: string; attachment: boolean },
  ): Promise<string> {
    this.downloadsSigned.push({ key, ...options });
    return `https://${this.bucket}.example/${key}?disposition=${options.attachment ? 'attachment' : 'inline'}`;
  }

  async inspect(key: string, length: number): Promise<InspectedObject | undefined> {
    await yieldToOthers();
    const object = this.objects.get(key);
    if (!object) return undefined;
    return {
      size: object.bytes.length,
      ...(object.contentType ? { contentType: object.contentType } : {}),
      start: object.bytes.slice(0, length),
      etag: etagOf(object.bytes),
      lastModified: object.lastModified,
      ...(object.checksumSha256 ? { checksumSha256: object.checksumSha256 } : {}),
    };
  }

  async copy(fromKey: string, toKey: string, ifMatch: string): Promise<void> {
    await yieldToOthers();
    this.copies.push({ from: fromKey, to: toKey, ifMatch });
    const object = this.objects.get(fromKey);
    if (!object || etagOf(object.bytes) !== ifMatch) throw new SourceChangedError();
    this.objects.set(toKey, { ...object, bytes: object.bytes.slice() });
  }

  /** Unfinished multipart uploads by S3's upload id: their key, type and parts. */
  readonly multipart = new Map<string, { key: string; contentType?: string; parts: Map<number, Uint8Array> }>();

  async createMultipartUpload(key: string, options: { contentType?: string }): Promise<string> {
    const id = `mpu-${this.multipart.size + 1}-${createHash('md5').update(key).digest('hex').slice(0, 8)}`;
    this.multipart.set(id, { key, parts: new Map(), ...(options.contentType ? { contentType: options.contentType } : {}) });
    return id;
  }

  async presignPart(key: string, uploadId: string, partNumber: number): Promise<string> {
    return `https://${this.bucket}.example/${key}?uploadId=${uploadId}&partNumber=${partNumber}`;
  }

  async presignMultipartCall(call: MultipartCall): Promise<string> {
    const upload = 'uploadId' in call ? `&uploadId=${call.uploadId}` : '';
    return `https://${this.bucket}.example/${call.key}?call=${call.kind}${upload}`;
  }

  /** Stores a part as a client would with a presigned part URL; returns its ETag. */
  putPart(uploadId: string, partNumber: number, bytes: Uint8Array): string {
    const upload = this.multipart.get(uploadId);
    if (!upload) throw new Error(`no multipart upload ${uploadId}`);
    upload.parts.set(partNumber, bytes);
    return etagOf(bytes);
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[] | undefined> {
    await yieldToOthers();
    const upload = this.multipart.get(uploadId);
    if (!upload || upload.key !== key) return undefined;
    return [...upload.parts]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, bytes]) => ({ partNumber, etag: etagOf(bytes), size: bytes.length }));
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: ReadonlyArray<Pick<UploadedPart, 'partNumber' | 'etag'>>,
  ): Promise<string | undefined> {
    await yieldToOthers();
    const upload = this.multipart.get(uploadId);
    if (!upload || upload.key !== key) return undefined;
    const chosen = parts.map((part) => {
      const bytes = upload.parts.get(part.partNumber);
      if (!bytes || etagOf(bytes) !== part.etag) throw new PartsChangedError(`part ${part.partNumber} is not stored with ETag ${part.etag}`);
      return bytes;
    });
    if (chosen.slice(0, -1).some((bytes) => bytes.length < 5 * 1024 * 1024)) throw new PartsChangedError('EntityTooSmall');
    const joined = new Uint8Array(Buffer.concat(chosen));
    this.multipart.delete(uploadId);
    this.put(key, joined, upload.contentType);
    return etagOf(joined);
  }

  async abortMultipartUpload(_key: string, uploadId: string): Promise<void> {
    this.multipart.delete(uploadId);
  }

  async delete(keys: string[]): Promise<void> {
    await yieldToOthers();
    if (this.failingDeletes > 0) {
      this.failingDeletes -= 1;
      throw new Error('S3 is unavailable');
    }
    for (const key of keys) this.objects.delete(key);
  }
}

/**
 * An in-memory table that keeps the FileRepository contract: every write is an atomic
 * check-and-set, a create of an existing id and a stale addVersion fail with StaleWriteError,
 * and a write whose upload is already claimed fails with AlreadySavedError.
 * Every call yields first, so concurrent callers really interleave between read and write.
 */
export class FakeFileRepository implements FileRepository {
  readonly records = new Map<string, FileRecord>();
  readonly versions = new Map<string, Map<number, FileVersion>>();
  readonly claims = new Map<string, UploadClaim>();
  readonly intents = new Map<string, SaveIntent>();
  /** Recorded previews' keys, by file slot and `<version>#<size>`. */
  readonly previews = new Map<string, Map<string, string>>();
  /** How many writes were refused as stale: proof that concurrent callers really raced. */
  staleWrites = 0;

  async get(org: string, id: string): Promise<FileRecord | undefined> {
    await yieldToOthers();
    const record = this.records.get(slot(org, id));
    return record ? structuredClone(record) : undefined;
  }

  async getMany(org: string, ids: readonly string[]): Promise<FileRecord[]> {
    await yieldToOthers();
    return ids.flatMap((id) => {
      const record = this.records.get(slot(org, id));
      return record ? [structuredClone(record)] : [];
    });
  }

  /** Files of other orgs that list a principal of `viewerOrg`, as the repository's SHARED items do. */
  async getShared(viewerOrg: string, ids: readonly string[]): Promise<FileRecord[]> {
    await yieldToOthers();
    return [...this.records.values()]
      .filter(
        (record) =>
          record.org !== viewerOrg &&
          ids.includes(record.id) &&
          listingGrants(guardOf(record)).some((grant) => grant.shared && parsePrincipal(grant.principal).org === viewerOrg),
      )
      .map((record) => structuredClone(record));
  }

  async findShared(viewerOrg: string, id: string): Promise<FileRecord | undefined> {
    return (await this.getShared(viewerOrg, [id]))[0];
  }

  async getVersion(org: string, id: string, version: number): Promise<FileVersion | undefined> {
    await yieldToOthers();
    const found = this.versions.get(slot(org, id))?.get(version);
    return found ? structuredClone(found) : undefined;
  }

  async putPreview(org: string, id: string, preview: { version: number; size: string; key: string }): Promise<void> {
    await yieldToOthers();
    const kept = this.previews.get(slot(org, id)) ?? new Map<string, string>();
    kept.set(`${preview.version}#${preview.size}`, preview.key);
    this.previews.set(slot(org, id), kept);
  }

  async listPreviewKeys(org: string, id: string): Promise<string[]> {
    await yieldToOthers();
    return [...(this.previews.get(slot(org, id))?.values() ?? [])];
  }

  async listVersions(org: string, id: string): Promise<FileVersion[]> {
    await yieldToOthers();
    const all = [...(this.versions.get(slot(org, id))?.values() ?? [])];
    return structuredClone(all.sort((a, b) => b.version - a.version));
  }

  /** Counts the versions each page read, to show that reads stay bounded. */
  versionsRead = 0;

  async listVersionPage(
    org: string,
    id: string,
    page: { limit: number; olderThan?: number },
  ): Promise<{ versions: FileVersion[]; more: boolean }> {
    const older = (await this.listVersions(org, id)).filter((version) => version.version < (page.olderThan ?? Infinity));
    const versions = older.slice(0, page.limit);
    this.versionsRead += versions.length;
    return { versions, more: older.length > page.limit };
  }

  async getClaim(org: string, uploadId: string): Promise<UploadClaim | undefined> {
    await yieldToOthers();
    const claim = this.claims.get(slot(org, uploadId));
    return claim ? structuredClone(claim) : undefined;
  }

  readonly pendingUploads = new Map<string, PendingUpload>();

  async putPendingUpload(upload: PendingUpload): Promise<void> {
    await yieldToOthers();
    this.pendingUploads.set(`${upload.org}#${upload.upload_id}`, { ...upload });
  }

  async getPendingUpload(org: string, uploadId: string): Promise<PendingUpload | undefined> {
    await yieldToOthers();
    const found = this.pendingUploads.get(`${org}#${uploadId}`);
    return found ? { ...found } : undefined;
  }

  async deletePendingUpload(org: string, uploadId: string): Promise<void> {
    await yieldToOthers();
    this.pendingUploads.delete(`${org}#${uploadId}`);
  }

  async getIntent(org: string, uploadId: string): Promise<SaveIntent | undefined> {
    await yieldToOthers();
    const intent = this.intents.get(slot(org, uploadId));
    return intent ? structuredClone(intent) : undefined;
  }

  async recordIntent(intent: SaveIntent): Promise<void> {
    await yieldToOthers();
    if (this.claims.has(slot(intent.org, intent.upload_id))) throw new AlreadySavedError();
    const held = this.intents.get(slot(intent.org, intent.upload_id));
    if (held && (held.etag !== intent.etag || held.key !== intent.key)) throw new IntentConflictError();
    this.intents.set(slot(intent.org, intent.upload_id), structuredClone(intent));
  }

  async forgetIntent(intent: SaveIntent): Promise<void> {
    await yieldToOthers();
    const held = this.intents.get(slot(intent.org, intent.upload_id));
    if (held && held.etag === intent.etag && held.key === intent.key) this.intents.delete(slot(intent.org, intent.upload_id));
  }

  async create(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void> {
    await yieldToOthers();
    if (this.claims.has(slot(claim.org, claim.upload_id))) throw new AlreadySavedError();
    const key = slot(record.org, record.id);
    if (this.records.has(key) || this.versions.get(key)?.has(version.version)) throw new StaleWriteError();
    this.records.set(key, structuredClone(record));
    this.versions.set(key, new Map([[version.version, structuredClone(version)]]));
    this.claims.set(slot(claim.org, claim.upload_id), structuredClone(claim));
  }

  async addVersion(record: FileRecord, version: FileVersion, claim: UploadClaim, previous: FileRecord): Promise<void> {
    await yieldToOthers();
    if (this.claims.has(slot(claim.org, claim.upload_id))) throw new AlreadySavedError();
    const key = slot(record.org, record.id);
    const stored = this.records.get(key);
    const versions = this.versions.get(key);
    if (
      !stored ||
      !versions ||
      stored.status !== 'active' ||
      (stored.revision ?? 0) !== (previous.revision ?? 0) ||
      stored.latest_version !== version.version - 1 ||
      versions.has(version.version)
    ) {
      this.staleWrites += 1;
      throw new StaleWriteError();
    }
    this.records.set(key, structuredClone(record));
    versions.set(version.version, structuredClone(version));
    this.claims.set(slot(claim.org, claim.upload_id), structuredClone(claim));
  }

  async markDeleting(org: string, id: string, actor?: DeleteActor): Promise<FileRecord | undefined> {
    await yieldToOthers();
    const record = this.records.get(slot(org, id));
    if (!record) return undefined;
    if (record.status === 'active' && actor) Object.assign(record, { deleted_by: actor.by, deleted_at: actor.at });
    record.status = 'deleting';
    return structuredClone(record);
  }

  async update(record: FileRecord, previous: FileRecord): Promise<void> {
    await yieldToOthers();
    const key = slot(record.org, record.id);
    const stored = this.records.get(key);
    if (!stored || stored.status !== 'active' || (stored.revision ?? 0) !== (previous.revision ?? 0)) {
      this.staleWrites += 1;
      throw new StaleWriteError();
    }
    this.records.set(key, structuredClone(record));
  }

  async remove(record: FileRecord): Promise<void> {
    await yieldToOthers();
    const key = slot(record.org, record.id);
    this.versions.delete(key);
    this.previews.delete(key);
    this.records.delete(key);
  }
}

function slot(org: string, id: string): string {
  return JSON.stringify([org, id]);
}

export const orgA: Caller = { org: 'org-a', userId: 'user-a' };
export const orgB: Caller = { org: 'org-b', userId: 'user-b' };
export const maxUploadBytes = 5000;
export const fixedNow = new Date('2024-05-01T12:00:00.000Z');

export const pngBytes = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

/** A service over fresh fakes, and helpers that play the client's part of an upload. */
export function setup() {
  const store = new FakeObjectStore();
  const repository = new FakeFileRepository();
  const service = new FileService({ repository, store, limits: { maxUploadBytes }, now: () => fixedNow });

  /** uploadFile, then the client's PUT of the bytes; returns the s3ref to save. */
  async function upload(
    caller: Caller,
    filename: string,
    bytes: Uint8Array | string = 'hello',
    mimeType = 'text/plain',
  ) {
    const ticket = await service.createUpload(caller, { filename, mime_type: mimeType });
    store.put(ticket.s3ref.key, bytes, mimeType);
    return ticket.s3ref;
  }

  /** A saved file with one version. */
  async function saveNew(caller: Caller, filename = 'report.txt', bytes: Uint8Array | string = 'v1') {
    const s3ref = await upload(caller, filename, bytes);
    const { entity } = await service.save(caller, { s3ref }, { deleteTempFile: true, versionOnly: false });
    return entity;
  }

  return { store, repository, service, upload, saveNew };
}
