import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListPartsCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { createHmac } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { CopiedObject, MultipartCall, ObjectStore, PresignedPost, StoredObject, UploadedPart } from '../core/ports';
import { PartsChangedError, SourceChangedError } from '../core/ports';
import { PayloadTooLargeError } from '../core/errors';
import { copyParts, defaultCopyPartThresholdBytes, partCopyConcurrency } from './part-copy';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Signs URLs with its endpoint, so it must be one clients can reach. */
  client: S3Client;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
  /**
   * Objects of at least this many bytes are copied in parts (UploadPartCopy, in parallel):
   * CopyObject stops at 5 GB and copies one big object slower than API Gateway waits.
   * Default 256 MiB.
   */
  copyPartThresholdBytes?: number;
}

/** Per-key DeleteObjects failures that a later attempt can overcome. */
const transientDeleteCodes = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable']);

/** DeleteObjects takes at most this many keys per call. */
const deleteBatchSize = 1000;

/**
 * A streamed write holds at most this much in memory: a body that fits is one PUT, a larger one
 * goes up in parts of this size (S3 wants at least 5 MiB per part but the last, at most 10,000
 * parts: 8 MiB parts reach 78 GiB, beyond the 5 GiB a file may have).
 */
export const streamPartBytes = 8 * 1024 * 1024;

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(private readonly options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client;
  }

  presignUpload(
    key: string,
    options: { contentType?: string; contentLength?: number; checksumSha256?: string },
  ): Promise<string> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
      ...(options.contentLength !== undefined ? { ContentLength: options.contentLength } : {}),
      ...(options.checksumSha256 !== undefined ? { ChecksumSHA256: options.checksumSha256 } : {}),
    });
    // Signing these headers makes S3 itself refuse bytes of another type or size. An untyped
    // upload signs no type: the browser may send any Content-Type or none.
    const signableHeaders = new Set<string>();
    if (options.contentType !== undefined) signableHeaders.add('content-type');
    if (options.contentLength !== undefined) signableHeaders.add('content-length');
    return getSignedUrl(this.client, command, {
      expiresIn: this.options.uploadUrlTtlSeconds,
      signableHeaders,
      // S3 verifies a checksum sent as a header only; hoisted into the query string it would be
      // ignored. Kept a signed header, the PUT must send it, and S3 refuses other bytes.
      ...(options.checksumSha256 !== undefined ? { unhoistableHeaders: new Set(['x-amz-checksum-sha256']) } : {}),
    });
  }

  /**
   * S3's browser-based upload (POST policy, SigV4): the policy pins the bucket, the exact key,
   * the type (an untyped upload may send any or none), the size range and the expiry, and
   * carries the signer's session token, without which S3 refuses temporary credentials. With a
   * checksum, the form must carry `x-amz-checksum-sha256` with exactly that value, and S3
   * refuses a file with another digest (400 BadDigest).
   */
  async presignPost(key: string, options: { contentType?: string; maxBytes: number; checksumSha256?: string }): Promise<PresignedPost> {
    const config = this.client.config;
    const [credentials, region, bucketUrl] = await Promise.all([
      config.credentials(),
      config.region(),
      // The SDK's own endpoint rules (path-style locally, virtual-hosted on AWS) name the bucket's URL.
      getSignedUrl(this.client, new HeadBucketCommand({ Bucket: this.bucket }), { expiresIn: 60 }),
    ]);
    const now = new Date(Date.now() + config.systemClockOffset);
    const amzDate = now.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
    const scope = [amzDate.slice(0, 8), region, 's3', 'aws4_request'];
    const fields: Record<string, string> = {
      key,
      ...(options.contentType !== undefined ? { 'Content-Type': options.contentType } : {}),
      ...(options.checksumSha256 !== undefined ? { 'x-amz-checksum-sha256': options.checksumSha256 } : {}),
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': [credentials.accessKeyId, ...scope].join('/'),
      'x-amz-date': amzDate,
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
    };
    const conditions: unknown[] = [
      { bucket: this.bucket },
      ...Object.entries(fields).map(([name, value]) => ({ [name]: value })),
      ...(options.contentType === undefined ? [['starts-with', '$Content-Type', '']] : []),
      ['content-length-range', 0, options.maxBytes],
    ];
    const expiration = new Date(now.getTime() + this.options.uploadUrlTtlSeconds * 1000).toISOString();
    const policy = Buffer.from(JSON.stringify({ expiration, conditions }), 'utf8').toString('base64');
    const signingKey = scope.reduce<Buffer | string>((key, part) => hmac(key, part), `AWS4${credentials.secretAccessKey}`);
    const url = new URL(bucketUrl);
    url.search = '';
    return { url: url.toString(), fields: { ...fields, policy, 'x-amz-signature': hmac(signingKey, policy).toString('hex') } };
  }

  presignDownload(
    key: string,
    options: { filename: string; contentType: string; attachment: boolean },
  ): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      // Pinned, so the response never carries a type the object was stored with instead.
      ResponseContentType: options.contentType || 'application/octet-stream',
      ResponseContentDisposition: contentDisposition(options.filename, options.attachment),
    });
    return getSignedUrl(this.client, command, { expiresIn: this.options.downloadUrlTtlSeconds });
  }

  /**
   * One ranged GET gives the first bytes, the type and (from Content-Range) the size. S3 sends
   * no checksum with a range, so a HEAD asks for it at the same time; both must name the same
   * bytes (ETag). S3 refuses any range of an empty object with 416: then the HEAD says it all.
   */
  async inspect(key: string, length: number): Promise<StoredObject | undefined> {
    const head = this.head(key);
    // Awaited below in every path; this keeps a failed HEAD from being reported as unhandled meanwhile.
    head.catch(() => undefined);
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=0-${length - 1}` }),
      );
      const start = result.Body ? await result.Body.transformToByteArray() : new Uint8Array();
      const total = /\/(\d+)$/.exec(result.ContentRange ?? '')?.[1];
      const found = await head;
      if (found && found.etag !== result.ETag) throw new SourceChangedError(`${key} changed while it was inspected`);
      return {
        size: total === undefined ? (result.ContentLength ?? start.length) : Number(total),
        ...(result.ContentType ? { contentType: result.ContentType } : {}),
        start,
        ...identity(key, result),
        ...(found?.checksumSha256 ? { checksumSha256: found.checksumSha256 } : {}),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      if (!isEmptyRange(error)) throw error;
    }
    return head;
  }

  /** What a HEAD says of the object, its SHA-256 checksum included; undefined when there is none. */
  private async head(key: string): Promise<StoredObject | undefined> {
    try {
      const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      return {
        size: result.ContentLength ?? 0,
        ...(result.ContentType ? { contentType: result.ContentType } : {}),
        start: new Uint8Array(),
        ...identity(key, result),
        // Only the file's own SHA-256: a multipart upload's is composite (`<digest of digests>-N`).
        ...(result.ChecksumSHA256 && result.ChecksumType !== 'COMPOSITE' && !result.ChecksumSHA256.includes('-') ? { checksumSha256: result.ChecksumSHA256 } : {}),
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async putObject(key: string, bytes: Uint8Array, contentType?: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ...(contentType !== undefined ? { ContentType: contentType } : {}) }),
    );
  }

  async createMultipartUpload(key: string, options: { contentType?: string; partChecksums?: boolean }): Promise<string> {
    const result = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
        // SHA-256 is checked per part (a composite checksum): S3 has no full-object SHA-256 for parts.
        ...(options.partChecksums ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
      }),
    );
    if (!result.UploadId) throw new Error(`S3 started a multipart upload at ${key} without naming it`);
    return result.UploadId;
  }

  presignPart(key: string, uploadId: string, partNumber: number, checksumSha256?: string): Promise<string> {
    const part = { Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber };
    if (checksumSha256 === undefined) {
      return getSignedUrl(this.client, new UploadPartCommand(part), { expiresIn: this.options.uploadUrlTtlSeconds });
    }
    // Kept a signed header (S3 ignores a checksum in the query): the PUT must send it.
    return getSignedUrl(this.client, new UploadPartCommand({ ...part, ChecksumSHA256: checksumSha256 }), {
      expiresIn: this.options.uploadUrlTtlSeconds,
      unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
    });
  }

  presignMultipartCall(call: MultipartCall): Promise<string> {
    const target = { Bucket: this.bucket, Key: call.key };
    const options = { expiresIn: this.options.uploadUrlTtlSeconds };
    switch (call.kind) {
      case 'create':
        if (call.contentType === undefined) return getSignedUrl(this.client, new CreateMultipartUploadCommand(target), options);
        // A typed upload's type is signed, so the object cannot be created with another.
        return getSignedUrl(this.client, new CreateMultipartUploadCommand({ ...target, ContentType: call.contentType }), {
          ...options,
          signableHeaders: new Set(['content-type']),
        });
      case 'list':
        return getSignedUrl(this.client, new ListPartsCommand({ ...target, UploadId: call.uploadId }), options);
      case 'complete':
        return getSignedUrl(this.client, new CompleteMultipartUploadCommand({ ...target, UploadId: call.uploadId }), options);
      case 'abort':
        return getSignedUrl(this.client, new AbortMultipartUploadCommand({ ...target, UploadId: call.uploadId }), options);
    }
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[] | undefined> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }),
        );
        for (const part of page.Parts ?? []) {
          if (part.PartNumber === undefined || part.ETag === undefined) continue;
          parts.push({
            partNumber: part.PartNumber,
            etag: part.ETag,
            size: part.Size ?? 0,
            ...(part.LastModified ? { lastModified: part.LastModified } : {}),
            ...(part.ChecksumSHA256 ? { checksumSha256: part.ChecksumSHA256 } : {}),
          });
        }
        marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
      } while (marker);
    } catch (error) {
      if (isNoSuchUpload(error)) return undefined;
      throw error;
    }
    return parts;
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: ReadonlyArray<Pick<UploadedPart, 'partNumber' | 'etag' | 'checksumSha256'>>,
  ): Promise<string | undefined> {
    try {
      const result = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((part) => ({
              PartNumber: part.partNumber,
              ETag: part.etag,
              ...(part.checksumSha256 ? { ChecksumSHA256: part.checksumSha256 } : {}),
            })),
          },
        }),
      );
      return result.ETag;
    } catch (error) {
      if (isNoSuchUpload(error)) return undefined;
      if (error instanceof S3ServiceException && ['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall'].includes(error.name)) {
        throw new PartsChangedError(error.message);
      }
      throw error;
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if (!isNoSuchUpload(error)) throw error;
    }
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array>, options: { contentType?: string; maxBytes: number }): Promise<void> {
    const contentType = options.contentType !== undefined ? { ContentType: options.contentType } : {};
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let received = 0;
    let upload: { id: string; parts: Array<{ ETag: string; PartNumber: number }> } | undefined;
    const sendPart = async (bytes: Uint8Array, id: string, parts: Array<{ ETag: string; PartNumber: number }>) => {
      const PartNumber = parts.length + 1;
      const result = await this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: id, PartNumber, Body: bytes }));
      if (!result.ETag) throw new Error(`S3 returned part ${PartNumber} of ${key} without an ETag`);
      parts.push({ ETag: result.ETag, PartNumber });
    };
    try {
      for await (const chunk of body) {
        received += chunk.length;
        if (received > options.maxBytes) throw new PayloadTooLargeError(`The file is larger than the ${options.maxBytes} bytes this service takes`);
        pending.push(chunk);
        pendingBytes += chunk.length;
        // A full part goes up only once more bytes follow it: a body of exactly one part is one PUT.
        while (pendingBytes > streamPartBytes) {
          if (!upload) {
            const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...contentType }));
            if (!created.UploadId) throw new Error(`S3 started no multipart upload of ${key}`);
            upload = { id: created.UploadId, parts: [] };
          }
          const joined = Buffer.concat(pending);
          await sendPart(joined.subarray(0, streamPartBytes), upload.id, upload.parts);
          const rest = joined.subarray(streamPartBytes);
          pending = [rest];
          pendingBytes = rest.length;
        }
      }
      if (!upload) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.concat(pending), ...contentType }));
        return;
      }
      await sendPart(Buffer.concat(pending), upload.id, upload.parts);
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: upload.id, MultipartUpload: { Parts: upload.parts } }),
      );
    } catch (error) {
      // The parts stored so far are billed until aborted; the bucket's abort-incomplete rule
      // catches an abort that fails too.
      if (upload) {
        const id = upload.id;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: id })).catch(() => undefined);
      }
      throw error;
    }
  }

  async copy(fromKey: string, toKey: string, ifMatch: string, source?: CopiedObject): Promise<void> {
    const threshold = this.options.copyPartThresholdBytes ?? defaultCopyPartThresholdBytes;
    if (source && source.size >= threshold) return this.copyInParts(fromKey, toKey, ifMatch, source);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          CopySource: this.copySource(fromKey),
          // What lands on the permanent key is exactly what was inspected, or nothing (412).
          CopySourceIfMatch: ifMatch,
          MetadataDirective: 'COPY',
        }),
      );
    } catch (error) {
      if (isPreconditionFailed(error) || isNoSuchKey(error)) throw new SourceChangedError(`${fromKey} is no longer ${ifMatch}`);
      throw error;
    }
  }

  /**
   * A multipart upload at the destination whose parts S3 copies from ranges of the source, many
   * at once, each on condition of the same ETag: the object completed is the one inspected.
   * On any failure the upload is aborted once no part is in flight (a part still running could
   * outlive an earlier abort); an upload whose abort fails too is removed by the bucket's
   * abort-incomplete-multipart rule.
   */
  private async copyInParts(fromKey: string, toKey: string, ifMatch: string, source: CopiedObject): Promise<void> {
    const { UploadId: uploadId } = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: toKey,
        // What CopyObject with MetadataDirective COPY would give the destination: the source's type.
        ...(source.contentType ? { ContentType: source.contentType } : {}),
      }),
    );
    if (!uploadId) throw new Error(`S3 created a multipart upload of ${toKey} without an upload id`);
    try {
      const parts = await inParallel(copyParts(source.size), partCopyConcurrency, async (part) => {
        const result = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: toKey,
            UploadId: uploadId,
            PartNumber: part.number,
            CopySource: this.copySource(fromKey),
            CopySourceIfMatch: ifMatch,
            CopySourceRange: `bytes=${part.first}-${part.last}`,
          }),
        );
        const etag = result.CopyPartResult?.ETag;
        if (!etag) throw new Error(`S3 copied part ${part.number} of ${toKey} without an ETag`);
        return { PartNumber: part.number, ETag: etag };
      });
      await this.completeCopy(toKey, uploadId, parts, source.size);
    } catch (error) {
      // An upload whose abort fails too is removed by the abort-incomplete-multipart rule; the
      // copy's own failure is what the caller needs to hear.
      await this.abortMultipartUpload(toKey, uploadId).catch(() => undefined);
      if (isPreconditionFailed(error) || (isNoSuchKey(error) && !isNoSuchUpload(error))) {
        throw new SourceChangedError(`${fromKey} is no longer ${ifMatch}`);
      }
      throw error;
    }
  }

  /**
   * Completes a copy's multipart upload. A Complete that S3 carried out but whose answer was
   * lost (a timeout) is retried by the SDK and answered NoSuchUpload, the upload being gone:
   * the object of the copy's size at the key says it went through.
   */
  private async completeCopy(key: string, uploadId: string, parts: Array<{ PartNumber: number; ETag: string }>, size: number): Promise<void> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (!isNoSuchUpload(error)) throw error;
      const completed = await this.client
        .send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))
        .then((head) => head.ContentLength === size)
        .catch(() => false);
      if (!completed) throw error;
    }
  }

  /** `x-amz-copy-source`: the bucket and the URL-encoded key, its slashes kept. */
  private copySource(key: string): string {
    return `${this.bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
  }

  async delete(keys: string[]): Promise<void> {
    // One key needs no XML body or checksum: DeleteObject is the cheaper call.
    if (keys.length === 1) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: keys[0] }));
      return;
    }
    for (let start = 0; start < keys.length; start += deleteBatchSize) {
      const batch = keys.slice(start, start + deleteBatchSize);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        const error = new Error(`Could not delete ${failed.length} object(s): ${failed[0]?.Code ?? 'unknown error'}`);
        // Marked as the SDK marks its own retryable errors, when S3 itself says try again.
        const retryable = failed.every((failure) => transientDeleteCodes.has(failure.Code ?? ''));
        throw Object.assign(error, { $retryable: retryable ? {} : undefined });
      }
    }
  }
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(filename: string, attachment: boolean): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${attachment ? 'attachment' : 'inline'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * Without s3:ListBucket (which no Lambda of this service has) S3 answers GET or HEAD of a
 * missing key with 403 AccessDenied, not 404; with it, 404. Both mean there is nothing to read.
 * Other 403s (a bad signature, expired credentials) stay errors.
 */
function isMissing(error: unknown): boolean {
  return (
    isNoSuchKey(error) ||
    // A HEAD answer has no body, so the SDK can only name it after its status.
    (error instanceof S3ServiceException && (error.name === 'AccessDenied' || error.name === 'Forbidden'))
  );
}

function isNoSuchKey(error: unknown): boolean {
  return (
    error instanceof NotFound ||
    error instanceof NoSuchKey ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}

/**
 * Runs `work` on every item, at most `limit` at once, and answers the results in the items'
 * order. After a failure no further item starts, and the failure is thrown only once every
 * item already started has settled, so nothing is still running when the caller cleans up.
 */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

function isPreconditionFailed(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'PreconditionFailed' || error.$metadata.httpStatusCode === 412);
}

/** The ETag and LastModified S3 returns with every GET and HEAD of an object. */
function identity(key: string, result: { ETag?: string; LastModified?: Date }): { etag: string; lastModified: Date } {
  if (!result.ETag || !result.LastModified) throw new Error(`S3 returned ${key} without ETag or Last-Modified`);
  return { etag: result.ETag, lastModified: result.LastModified };
}

function isEmptyRange(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'InvalidRange' || error.$metadata.httpStatusCode === 416);
}

function isNoSuchUpload(error: unknown): boolean {
  return error instanceof S3ServiceException && error.name === 'NoSuchUpload';
}
