import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type http from 'node:http';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { badDigest, checksumHeader, storedChecksumHeader, validChecksum } from './checksum';
import { checkPostLength, type PostPolicyFailure, type PostPolicyVerdict } from './post-policy';

/**
 * Receives a browser-based upload (POST Object): the fields before the file are checked
 * before a byte of the file is kept, the file is spooled to disk only up to the policy's
 * maximum, and nothing reaches the bucket unless every check passed. Fields after the file
 * are ignored, as S3 ignores them. A form that carries `x-amz-checksum-sha256` is stored only
 * if the file has that SHA-256 (else 400 BadDigest), and the object keeps it, as after a PUT.
 */

/** S3 refuses the fields before the file when they exceed 20 KB. */
const MAX_FIELDS_BYTES = 20 * 1024;

export type Verified = Extract<PostPolicyVerdict, { ok: true }>;

export interface PostObjectOptions {
  /** Checks signature, expiry and conditions (not the size) once the fields are in. */
  verify(fields: ReadonlyArray<readonly [string, string]>): PostPolicyVerdict;
  /** AccessDenied unless the signer may write the key (s3:PutObject). */
  authorize(verified: Verified): PostPolicyFailure | undefined;
  /** Where the file is spooled; the caller removes the file. */
  spoolDirectory: string;
}

export type ReceivedPost =
  | { ok: true; verified: Verified; fields: Array<[string, string]>; file: string; size: number; checksumSha256?: string }
  | PostPolicyFailure;

const malformed: PostPolicyFailure = {
  ok: false,
  status: 400,
  code: 'MalformedPOSTRequest',
  message: 'The body of your POST request is not well-formed multipart/form-data.',
};

export function isPostObject(method: string | undefined, path: string, query: string, contentType: string | undefined): boolean {
  return method === 'POST' && /^\/[^/]+\/?$/.test(path) && query === '' && /^multipart\/form-data/i.test(contentType ?? '');
}

/** Reads the whole form (draining what is refused, so the client reads the answer). */
export function receivePostObject(req: http.IncomingMessage, options: PostObjectOptions): Promise<ReceivedPost> {
  return new Promise((resolve) => {
    const fields: Array<[string, string]> = [];
    let fieldBytes = 0;
    let outcome: Promise<ReceivedPost> | undefined;
    const spooled = join(options.spoolDirectory, randomBytes(12).toString('hex'));

    const settle = (result: Promise<ReceivedPost>) => {
      // A spool that fails mid-way is answered on 'close' (as malformed), never left unhandled.
      result.catch(() => undefined);
      outcome ??= result;
    };
    const checkFields = (): Verified | PostPolicyFailure => {
      if (fieldBytes > MAX_FIELDS_BYTES) {
        return { ok: false, status: 400, code: 'MaxPostPreDataLengthExceeded', message: 'Your POST request fields preceeding the upload file was too large.' };
      }
      const verdict = options.verify(fields);
      if (!verdict.ok) return verdict;
      const refused = options.authorize(verdict);
      if (refused) return refused;
      const checksum = declared();
      return typeof checksum === 'object' ? { ok: false, status: 400, code: checksum.code, message: checksum.message } : verdict;
    };
    const declared = () => {
      const field = fields.find(([name]) => name.toLowerCase() === checksumHeader);
      return field === undefined ? undefined : validChecksum(field[1], 'form field');
    };
    const receive = async (verified: Verified, body: Readable): Promise<ReceivedPost> => {
      let size = 0;
      const hash = createHash('sha256');
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          if (size <= verified.length.max) hash.update(chunk);
          // Past the limit nothing more is kept; the rest of the body is only counted.
          done(null, size > verified.length.max ? undefined : chunk);
        },
      });
      try {
        await pipeline(body, counter, createWriteStream(spooled));
      } catch (error) {
        await rm(spooled, { force: true });
        throw error;
      }
      const refused = checkPostLength(size, verified.length);
      if (refused) {
        await rm(spooled, { force: true });
        return refused;
      }
      const checksum = declared();
      if (typeof checksum === 'string' && hash.digest('base64') !== checksum) {
        await rm(spooled, { force: true });
        return { ok: false, status: 400, code: badDigest.code, message: badDigest.message };
      }
      return { ok: true, verified, fields: [...fields], file: spooled, size, ...(typeof checksum === 'string' ? { checksumSha256: checksum } : {}) };
    };

    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldSize: MAX_FIELDS_BYTES + 1 } });
    } catch {
      req.resume();
      return resolve(malformed);
    }
    parser.on('field', (name, value) => {
      if (outcome) return;
      if (name.toLowerCase() !== 'file') {
        fieldBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
        // Past S3's limit the form is refused anyway: counting is enough, keeping would only grow.
        if (fieldBytes <= MAX_FIELDS_BYTES) fields.push([name, value]);
        return;
      }
      // A `file` part without a filename arrives as a field: it is still the file.
      const checked = checkFields();
      settle(checked.ok ? receive(checked, Readable.from([Buffer.from(value)])) : Promise.resolve(checked));
    });
    parser.on('file', (name, stream) => {
      if (outcome || name.toLowerCase() !== 'file') return void stream.resume();
      const checked = checkFields();
      if (!checked.ok) {
        stream.resume();
        return settle(Promise.resolve(checked));
      }
      settle(receive(checked, stream));
    });
    parser.on('close', () => {
      if (outcome) return void outcome.then(resolve, () => resolve(malformed));
      const checked = checkFields();
      resolve(
        checked.ok
          ? { ok: false, status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.', details: { ArgumentName: 'file', ArgumentValue: '0' } }
          : checked,
      );
    });
    parser.on('error', () => {
      req.unpipe(parser);
      req.resume();
      void rm(spooled, { force: true });
      resolve(malformed);
    });
    // A client that goes away mid-form leaves no spooled bytes behind.
    req.once('close', () => {
      if (!req.complete) parser.destroy(new Error('the client closed the connection before the form ended'));
    });
    req.pipe(parser);
  });
}

/**
 * The checked form, rebuilt for s3rver: the fields (names lower-cased, as S3 reads them), the
 * verified checksum as the metadata only this front writes, and the file.
 */
export async function rebuiltForm(received: Extract<ReceivedPost, { ok: true }>): Promise<{ body: Readable; length: number; contentType: string }> {
  const boundary = `----local-s3-${randomBytes(12).toString('hex')}`;
  const fields: Array<readonly [string, string]> = received.fields.filter(
    ([name]) => ![checksumHeader, storedChecksumHeader].includes(name.toLowerCase()),
  );
  if (received.checksumSha256 !== undefined) fields.push([storedChecksumHeader, received.checksumSha256]);
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name.toLowerCase())}"\r\n\r\n${value}\r\n`,
  );
  const head = Buffer.from(
    `${parts.join('')}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const { size } = await stat(received.file);
  async function* body() {
    yield head;
    yield* createReadStream(received.file);
    yield tail;
  }
  return { body: Readable.from(body()), length: head.length + size + tail.length, contentType: `multipart/form-data; boundary=${boundary}` };
}

function quote(name: string): string {
  return name.replace(/["\r\n\\]/g, (c) => encodeURIComponent(c));
}
