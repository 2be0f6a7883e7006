import { statSync, type ReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { Part } from '@aws-sdk/client-s3';
import { S3Store, type MetadataValue } from '@tus/s3-store';
import { Server } from '@tus/server';
import { Upload } from 'tus-js-client';

export interface TusTarget {
  bucket: string;
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface TusServer {
  /** Creation endpoint, e.g. http://127.0.0.1:PORT/files */
  endpoint: string;
  /** Object keys the uploads left in the bucket (final objects and their .info). */
  keys(): string[];
  stop(): Promise<void>;
}

/**
 * @tus/s3-store lists an upload's parts with ListParts before and after every PATCH; the
 * local S3 (s3rver) does not implement ListParts (it answers 405 MethodNotAllowed), so the
 * parts this process uploaded are remembered here instead. That saves tus two S3 round
 * trips per PATCH it would pay on real S3: it favours tus, never us.
 */
class LocalS3Store extends S3Store {
  private readonly parts = new Map<string, Part[]>();
  private readonly finished = new Set<string>();

  protected override async uploadPart(
    metadata: MetadataValue,
    readStream: ReadStream | Readable | Buffer,
    partNumber: number,
  ): Promise<string> {
    const size = Buffer.isBuffer(readStream)
      ? readStream.length
      : 'path' in readStream && typeof readStream.path === 'string'
        ? statSync(readStream.path).size
        : undefined;
    const etag = await super.uploadPart(metadata, readStream, partNumber);
    const id = metadata.file.id;
    const parts = (this.parts.get(id) ?? []).filter((part) => part.PartNumber !== partNumber);
    parts.push({ PartNumber: partNumber, ETag: etag, ...(size !== undefined ? { Size: size } : {}) });
    this.parts.set(id, parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0)));
    return etag;
  }

  protected override async retrieveParts(id: string): Promise<Part[]> {
    if (this.finished.has(id)) throw Object.assign(new Error('The upload is complete'), { name: 'NoSuchUpload' });
    return [...(this.parts.get(id) ?? [])];
  }

  protected override async finishMultipartUpload(metadata: MetadataValue, parts: Part[]): Promise<string | undefined> {
    const location = await super.finishMultipartUpload(metadata, parts);
    this.parts.delete(metadata.file.id);
    this.finished.add(metadata.file.id);
    return location;
  }

  uploadIds(): string[] {
    return [...this.finished];
  }
}

/** @tus/server with @tus/s3-store on the given S3, served by node:http on a free loopback port. */
export async function startTusServer(target: TusTarget): Promise<TusServer> {
  const store = new LocalS3Store({
    s3ClientConfig: {
      bucket: target.bucket,
      region: target.region,
      endpoint: target.endpoint,
      forcePathStyle: true,
      credentials: target.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  });
  const tus = new Server({ path: '/files', datastore: store });
  const server = http.createServer((req, res) => {
    tus.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/files`,
    keys: () => store.uploadIds().flatMap((id) => [id, `${id}.info`]),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One upload with tus-js-client, as a Node client would do it: POST (create), then PATCH. */
export function tusUpload(endpoint: string, bytes: Buffer, metadata: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(bytes, {
      endpoint,
      metadata,
      uploadSize: bytes.length,
      retryDelays: null,
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve(upload.url ?? ''),
    });
    upload.start();
  });
}
