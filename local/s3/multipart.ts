import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checksumHeader, declaredChecksum } from './checksum';
import { copySource, escapeXml, unescapeXml } from './actions';
import { lifecycleExpiry } from './sweeper';

/**
 * S3's multipart upload, which s3rver lacks in part (no ListParts, no abort, no part rules):
 * kept here whole. Parts wait in a directory of their own, one per upload; completing an
 * upload checks S3's rules (parts named in ascending order, each one stored with that ETag,
 * every part but the last at least 5 MiB) and only then hands the joined bytes to s3rver as
 * one object, with the multipart ETag S3 gives it (`md5 of the parts' md5s`-`count`).
 * UploadPartCopy reads its range from s3rver, on condition of the source's ETag.
 */

export const minPartBytes = 5 * 1024 * 1024;
export const maxPartBytes = 5 * 1024 ** 3;
export const maxPartNumber = 10_000;
/** ListParts answers at most this many parts at a time, as S3 does. */
const maxListedParts = 1000;
/** Object headers CreateMultipartUpload keeps for the object it completes. */
const keptHeaders = ['content-type', 'content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires'];

export interface MultipartBackend {
  port: number;
  agent: http.Agent;
  /** An access key s3rver knows: the front's own calls to it carry it. */
  accessKeyId: string;
  region: string;
  /** Runs one write to an object path at a time (see KeyedQueue in server.ts). */
  writeExclusively(path: string, task: () => Promise<void>): Promise<void>;
  /** Where s3rver keeps an object's MD5, which it answers as the ETag. */
  md5Path(bucket: string, key: string): string;
}

export interface MultipartRequest {
  name: string;
  bucket: string;
  key: string;
  /** The request's path as sent (the key URL-encoded). */
  path: string;
  query: URLSearchParams;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** XML body; none for a bare status. */
  body?: string;
}

interface UploadRecord {
  bucket: string;
  key: string;
  initiated: string;
  headers: Record<string, string>;
  checksumAlgorithm?: string;
}

interface PartRecord {
  number: number;
  etag: string;
  size: number;
  lastModified: string;
  sha256: string;
}

export const multipartOperations = new Set([
  'CreateMultipartUpload',
  'UploadPart',
  'UploadPartCopy',
  'ListParts',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
]);

const xmlns = 'http://s3.amazonaws.com/doc/2006-03-01/';
const noSuchUpload: Reply = s3Error(
  404,
  'NoSuchUpload',
  'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
);

export class MultipartUploads {
  constructor(
    private readonly root: () => Promise<string>,
    private readonly backend: MultipartBackend,
  ) {}

  handle(req: http.IncomingMessage, request: MultipartRequest): Promise<Reply> {
    switch (request.name) {
      case 'CreateMultipartUpload':
        return this.create(req, request);
      case 'UploadPart':
        return this.uploadPart(req, request);
      case 'UploadPartCopy':
        return this.copyPart(req, request);
      case 'ListParts':
        return this.listParts(request);
      case 'CompleteMultipartUpload':
        return this.complete(req, request);
      case 'AbortMultipartUpload':
        return this.abort(request);
      default:
        return Promise.resolve(s3Error(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented'));
    }
  }

  /**
   * The bucket's AbortIncompleteMultipartUpload rule applied once, as of `at`: uploads
   * initiated `days` before (rounded up to midnight UTC, as S3 does) are aborted.
   */
  async sweep(days: number, at: Date): Promise<number> {
    const root = await this.root();
    let aborted = 0;
    for (const id of await readdir(root).catch(() => [] as string[])) {
      const upload = await this.readUpload(id);
      if (upload && lifecycleExpiry(new Date(upload.initiated), days) <= at) {
        await rm(join(root, id), { recursive: true, force: true });
        aborted += 1;
      }
    }
    return aborted;
  }

  private async create(req: http.IncomingMessage, request: MultipartRequest): Promise<Reply> {
    const id = randomBytes(48).toString('base64url');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && (keptHeaders.includes(name) || (name.startsWith('x-amz-meta-') && !name.startsWith('x-amz-meta-local-s3-')))) {
        headers[name] = value;
      }
    }
    const algorithm = req.headers['x-amz-checksum-algorithm'];
    const record: UploadRecord = {
      bucket: request.bucket,
      key: request.key,
      initiated: new Date().toISOString(),
      headers,
      ...(typeof algorithm === 'string' ? { checksumAlgorithm: algorithm.toUpperCase() } : {}),
    };
    const directory = join(await this.root(), id);
    await mkdir(directory, { recursive: true });
    await writeJson(join(directory, 'upload.json'), record);
    req.resume();
    return xml(
      200,
      `<InitiateMultipartUploadResult xmlns="${xmlns}"><Bucket>${escapeXml(request.bucket)}</Bucket><Key>${escapeXml(request.key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
      record.checksumAlgorithm ? { 'x-amz-checksum-algorithm': record.checksumAlgorithm } : {},
    );
  }

  private async uploadPart(req: http.IncomingMessage, request: MultipartRequest): Promise<Reply> {
    const found = await this.target(request);
    if ('status' in found) return drained(req, found);
    const checksum = declaredChecksum(req.headers);
    if (typeof checksum === 'object') return drained(req, s3Error(checksum.status, checksum.code, checksum.message));
    // An upload created with a checksum algorithm takes only parts that carry their checksum.
    if (found.record.checksumAlgorithm === 'SHA256' && checksum === undefined) {
      return drained(req, s3Error(400, 'InvalidRequest', 'Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: null'));
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxPartBytes) return drained(req, s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size'));
    const part = await this.storePart(found.directory, found.number, req);
    if ('status' in part) return part;
    if (checksum !== undefined && part.record.sha256 !== checksum) {
      await rm(part.staged, { force: true });
      return s3Error(400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.');
    }
    await this.keepPart(found.directory, part);
    return {
      status: 200,
      headers: { etag: `"${part.record.etag}"`, ...(checksum !== undefined ? { [checksumHeader]: checksum } : {}) },
    };
  }

  /** A part copied from a range of an object (the source's s3:GetObject was checked by the front). */
  private async copyPart(req: http.IncomingMessage, request: MultipartRequest): Promise<Reply> {
    req.resume();
    const found = await this.target(request);
    if ('status' in found) return found;
    const raw = req.headers['x-amz-copy-source'];
    const source = copySource(raw);
    if (!source || typeof raw !== 'string') return s3Error(400, 'InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
    const sourcePath = `/${raw.replace(/^\//, '').split('?')[0]}`;
    const head = await this.send('HEAD', sourcePath, {});
    if (head.statusCode === 404) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    if (head.statusCode !== 200) return s3Error(head.statusCode ?? 500, 'InternalError', 'We encountered an internal error.');
    const etag = String(head.headers.etag ?? '').replace(/"/g, '');
    const ifMatch = req.headers['x-amz-copy-source-if-match'];
    if (typeof ifMatch === 'string' && ifMatch.replace(/"/g, '') !== etag) {
      return s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const size = Number(head.headers['content-length'] ?? 0);
    const rangeHeader = req.headers['x-amz-copy-source-range'];
    let range = { start: 0, end: size - 1 };
    if (typeof rangeHeader === 'string') {
      const match = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
      const start = Number(match?.[1]);
      const end = Number(match?.[2]);
      if (!match || start > end || end >= size) {
        return s3Error(400, 'InvalidArgument', `Range specified is not valid for source object of size: ${size}`);
      }
      range = { start, end };
    }
    if (range.end - range.start + 1 > maxPartBytes) return s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const body = await this.send('GET', sourcePath, size > 0 ? { range: `bytes=${range.start}-${range.end}` } : {});
    if (body.statusCode !== 200 && body.statusCode !== 206) {
      body.resume();
      return s3Error(body.statusCode ?? 500, 'InternalError', 'We encountered an internal error.');
    }
    // The range was read from the bytes that ETag names, unless a write replaced them meanwhile.
    if (String(body.headers.etag ?? '').replace(/"/g, '') !== etag) {
      body.resume();
      return s3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    const part = await this.storePart(found.directory, found.number, body);
    if ('status' in part) return part;
    await this.keepPart(found.directory, part);
    return xml(
      200,
      `<CopyPartResult xmlns="${xmlns}"><LastModified>${part.record.lastModified}</LastModified><ETag>"${part.record.etag}"</ETag></CopyPartResult>`,
    );
  }

  private async listParts(request: MultipartRequest): Promise<Reply> {
    const found = await this.upload(request);
    if (!found) return noSuchUpload;
    const marker = Number(request.query.get('part-number-marker') ?? 0);
    const max = Math.min(maxListedParts, Number(request.query.get('max-parts') ?? maxListedParts));
    if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(max) || max < 0) {
      return s3Error(400, 'InvalidArgument', 'Argument max-parts and part-number-marker must be non-negative integers');
    }
    const all = (await this.parts(found.directory)).filter((part) => part.number > marker);
    const page = all.slice(0, max);
    const truncated = all.length > page.length;
    const parts = page
      .map(
        (part) =>
          `<Part><PartNumber>${part.number}</PartNumber><LastModified>${part.lastModified}</LastModified><ETag>"${part.etag}"</ETag><Size>${part.size}</Size>` +
          (found.record.checksumAlgorithm === 'SHA256' ? `<ChecksumSHA256>${part.sha256}</ChecksumSHA256>` : '') +
          '</Part>',
      )
      .join('');
    const next = page.at(-1)?.number ?? marker;
    return xml(
      200,
      `<ListPartsResult xmlns="${xmlns}"><Bucket>${escapeXml(request.bucket)}</Bucket><Key>${escapeXml(request.key)}</Key>` +
        `<UploadId>${escapeXml(request.query.get('uploadId') ?? '')}</UploadId><PartNumberMarker>${marker}</PartNumberMarker>` +
        `<NextPartNumberMarker>${next}</NextPartNumberMarker><MaxParts>${max}</MaxParts><IsTruncated>${truncated}</IsTruncated>` +
        `<StorageClass>STANDARD</StorageClass>${parts}</ListPartsResult>`,
    );
  }

  private async complete(req: http.IncomingMessage, request: MultipartRequest): Promise<Reply> {
    const text = await readBody(req, 4 * 1024 * 1024);
    const found = await this.upload(request);
    if (!found) return noSuchUpload;
    if (text === undefined) return s3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    const named = [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((match) => ({
      number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(match[1] ?? '')?.[1]),
      etag: unescapeXml(/<ETag>([\s\S]*?)<\/ETag>/.exec(match[1] ?? '')?.[1] ?? '').replace(/"/g, '').trim(),
      sha256: /<ChecksumSHA256>\s*([^<\s]+)\s*<\/ChecksumSHA256>/.exec(match[1] ?? '')?.[1],
    }));
    if (named.length === 0 || named.some((part) => !Number.isInteger(part.number))) {
      return s3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    }
    if (named.some((part, index) => index > 0 && part.number <= (named[index - 1]?.number ?? 0))) {
      return s3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
    }
    const stored = new Map((await this.parts(found.directory)).map((part) => [part.number, part]));
    const chosen: PartRecord[] = [];
    for (const part of named) {
      const match = stored.get(part.number);
      if (found.record.checksumAlgorithm === 'SHA256' && part.sha256 === undefined) {
        return s3Error(
          400,
          'InvalidRequest',
          `The upload was created using a sha256 checksum. The complete request must include the checksum for each part. It was missing for part ${part.number} in the request.`,
        );
      }
      if (!match || match.etag !== part.etag || (part.sha256 !== undefined && part.sha256 !== match.sha256)) {
        return s3Error(
          400,
          'InvalidPart',
          'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.',
        );
      }
      chosen.push(match);
    }
    if (chosen.slice(0, -1).some((part) => part.size < minPartBytes)) {
      return s3Error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
    }
    const etag = `${createHash('md5')
      .update(Buffer.concat(chosen.map((part) => Buffer.from(part.etag, 'hex'))))
      .digest('hex')}-${chosen.length}`;
    const size = chosen.reduce((total, part) => total + part.size, 0);
    const objectPath = request.path;
    let failure: Reply | undefined;
    await this.backend.writeExclusively(objectPath, async () => {
      const joined = new PassThrough();
      const writing = this.send('PUT', objectPath, { ...found.record.headers, 'content-length': String(size) }, joined);
      void (async () => {
        for (const part of chosen) await pipeline(createReadStream(join(found.directory, `${part.number}.part`)), joined, { end: false });
        joined.end();
      })().catch((error: Error) => joined.destroy(error));
      const answer = await writing;
      answer.resume();
      if (answer.statusCode !== 200) {
        failure = s3Error(answer.statusCode ?? 500, 'InternalError', 'We encountered an internal error.');
        return;
      }
      // S3 names a multipart object by its parts, not by an MD5 of all its bytes.
      await writeFile(this.backend.md5Path(request.bucket, request.key), etag);
    });
    if (failure) return failure;
    await rm(found.directory, { recursive: true, force: true });
    return xml(
      200,
      `<CompleteMultipartUploadResult xmlns="${xmlns}"><Location>http://127.0.0.1${escapeXml(objectPath)}</Location>` +
        `<Bucket>${escapeXml(request.bucket)}</Bucket><Key>${escapeXml(request.key)}</Key><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`,
    );
  }

  private async abort(request: MultipartRequest): Promise<Reply> {
    const found = await this.upload(request);
    if (!found) return noSuchUpload;
    await rm(found.directory, { recursive: true, force: true });
    return { status: 204 };
  }

  /** The upload a part request names, and its part number, or S3's refusal. */
  private async target(request: MultipartRequest): Promise<{ directory: string; number: number; record: UploadRecord } | Reply> {
    const number = Number(request.query.get('partNumber'));
    if (!/^\d+$/.test(request.query.get('partNumber') ?? '') || number < 1 || number > maxPartNumber) {
      return s3Error(400, 'InvalidArgument', `Part number must be an integer between 1 and ${maxPartNumber}, inclusive`);
    }
    const found = await this.upload(request);
    return found ? { directory: found.directory, number, record: found.record } : noSuchUpload;
  }

  /** The upload of this id, if it is one of this bucket and key. */
  private async upload(request: MultipartRequest): Promise<{ directory: string; record: UploadRecord } | undefined> {
    const id = request.query.get('uploadId') ?? '';
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return undefined;
    const record = await this.readUpload(id);
    if (!record || record.bucket !== request.bucket || record.key !== request.key) return undefined;
    return { directory: join(await this.root(), id), record };
  }

  private async readUpload(id: string): Promise<UploadRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(await this.root(), id, 'upload.json'), 'utf8')) as UploadRecord;
    } catch {
      return undefined;
    }
  }

  private async parts(directory: string): Promise<PartRecord[]> {
    const names = (await readdir(directory).catch(() => [] as string[])).filter((name) => /^\d+\.json$/.test(name));
    const parts = await Promise.all(
      names.map(async (name) => JSON.parse(await readFile(join(directory, name), 'utf8').catch(() => 'null')) as PartRecord | null),
    );
    return parts.filter((part): part is PartRecord => part !== null).sort((a, b) => a.number - b.number);
  }

  /** Streams a part's bytes beside the upload, hashing them; kept only once `keepPart` says so. */
  private async storePart(
    directory: string,
    number: number,
    body: NodeJS.ReadableStream,
  ): Promise<{ staged: string; record: PartRecord } | Reply> {
    const staged = join(directory, `${number}.${randomBytes(6).toString('hex')}.staged`);
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    let size = 0;
    const counting = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxPartBytes) return done(new Error('EntityTooLarge'));
        md5.update(chunk);
        sha256.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, counting, createWriteStream(staged));
    } catch (error) {
      await rm(staged, { force: true });
      if ((error as Error).message === 'EntityTooLarge') return s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      // The upload was aborted meanwhile, or the client went away.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return noSuchUpload;
      throw error;
    }
    return {
      staged,
      record: { number, etag: md5.digest('hex'), size, lastModified: new Date().toISOString(), sha256: sha256.digest('base64') },
    };
  }

  /** A later upload of the same part number replaces the earlier one, as in S3. */
  private async keepPart(directory: string, part: { staged: string; record: PartRecord }): Promise<void> {
    const exists = await stat(directory).then(() => true, () => false);
    if (!exists) {
      await rm(part.staged, { force: true });
      return;
    }
    await rename(part.staged, join(directory, `${part.record.number}.part`));
    await writeJson(join(directory, `${part.record.number}.json`), part.record);
  }

  /** One request to s3rver, which only checks that the access key is one it knows. */
  private send(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: NodeJS.ReadableStream): Promise<http.IncomingMessage> {
    const { accessKeyId, region } = this.backend;
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          host: '127.0.0.1',
          port: this.backend.port,
          method,
          path,
          agent: this.backend.agent,
          headers: {
            ...headers,
            ...(body ? {} : { 'content-length': '0' }),
            'x-amz-date': date,
            'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
            authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${date.slice(0, 8)}/${region}/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
          },
        },
        resolve,
      );
      outgoing.on('error', reject);
      if (body) body.pipe(outgoing);
      else outgoing.end();
    });
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const staged = `${path}.${randomBytes(6).toString('hex')}`;
  await writeFile(staged, JSON.stringify(value));
  await rename(staged, path);
}

/** The whole body as text, or undefined when it is longer than `max` bytes. */
async function readBody(req: http.IncomingMessage, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function drained(req: http.IncomingMessage, reply: Reply): Reply {
  req.resume();
  return reply;
}

function xml(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/xml', ...headers }, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` };
}

function s3Error(status: number, code: string, message: string): Reply {
  return xml(status, `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`);
}
