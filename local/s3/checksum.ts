import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import { pipeline, Transform } from 'node:stream';

/**
 * S3's SHA-256 additional checksum, which s3rver does not know. A PUT that sends
 * `x-amz-checksum-sha256` is stored only if its body has that digest (else 400 BadDigest and
 * nothing is written); the verified checksum is kept as object metadata under a name only
 * this front writes, travels with CopyObject like S3's own checksum does, and is answered as
 * `x-amz-checksum-sha256` to a GET or HEAD of the whole object with `x-amz-checksum-mode: ENABLED`.
 */

export const checksumHeader = 'x-amz-checksum-sha256';
/** Where the verified checksum is kept in s3rver; never accepted from a client, never shown to one. */
export const storedChecksumHeader = 'x-amz-meta-local-s3-checksum-sha256';

export interface ChecksumFailure {
  status: number;
  code: string;
  message: string;
}

/** The checksum a request declares, or why S3 would refuse it; undefined when it declares none. */
export function declaredChecksum(headers: http.IncomingHttpHeaders): string | ChecksumFailure | undefined {
  const value = headers[checksumHeader];
  if (value === undefined) return undefined;
  return validChecksum(typeof value === 'string' ? value : '', 'header');
}

/** A base64 SHA-256 (44 characters, canonical), or S3's refusal of the header or form field. */
export function validChecksum(value: string, sentAs: 'header' | 'form field'): string | ChecksumFailure {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(value) || Buffer.from(value, 'base64').toString('base64') !== value) {
    return { status: 400, code: 'InvalidRequest', message: `Value for ${checksumHeader} ${sentAs} is invalid.` };
  }
  return value;
}

export const badDigest: ChecksumFailure = { status: 400, code: 'BadDigest', message: 'The SHA256 you specified did not match the calculated checksum.' };

/** Removes a client's attempt to set the stored checksum itself. */
export function dropStoredChecksum(headers: http.IncomingHttpHeaders): void {
  delete headers[storedChecksumHeader];
}

/** Where a checksummed PUT's bytes wait for their digest; a key no client is given. */
const stagingPrefix = '.local-s3-staging/';

export interface Upstream {
  port: number;
  agent: http.Agent;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Streams a PUT that declares a SHA-256 checksum to s3rver under a staging key, hashing it on
 * the way; only bytes with that digest are then copied to their key (with the checksum as
 * metadata), so a mismatch stores nothing and leaves an object already at the key as it was.
 * The staging copy is deleted either way. Answers what S3 would: 400 BadDigest, s3rver's
 * own refusal, or 200 with the ETag and the checksum.
 */
export async function putThroughStaging(
  req: http.IncomingMessage,
  expected: string,
  upstream: Upstream,
): Promise<Answer | ChecksumFailure> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const bucket = path.split('/')[1] ?? '';
  const staging = `/${bucket}/${stagingPrefix}${randomUUID()}`;
  // s3rver only checks that the access key is known: the client's own authorization will do.
  const auth: http.OutgoingHttpHeaders = {};
  for (const name of ['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token']) {
    if (req.headers[name] !== undefined) auth[name] = req.headers[name];
  }
  const remove = () => send(upstream, 'DELETE', staging + query, auth).catch(() => undefined);

  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const headers: http.OutgoingHttpHeaders = { ...req.headers, [storedChecksumHeader]: expected };
  delete headers.expect;
  const staged = await send(upstream, 'PUT', staging + query, headers, (outgoing) => pipeline(req, hashing, outgoing, () => {}));
  if (staged.status !== 200) {
    await remove();
    return refusal(staged);
  }
  if (hash.digest('base64') !== expected) {
    await remove();
    return badDigest;
  }
  const copied = await send(upstream, 'PUT', path + query, {
    ...auth,
    'x-amz-copy-source': encodeURI(staging),
    'x-amz-metadata-directive': 'COPY',
  });
  await remove();
  if (copied.status !== 200) return refusal(copied);
  return {
    status: 200,
    headers: { etag: staged.headers.etag, [checksumHeader]: expected, 'x-amz-checksum-type': 'FULL_OBJECT', 'content-length': '0' },
    body: Buffer.alloc(0),
  };
}

/** s3rver's refusal as the client gets it: its status and XML, none of its connection headers. */
function refusal(answer: Answer): Answer {
  return {
    status: answer.status,
    headers: { 'content-type': answer.headers['content-type'] ?? 'application/xml', 'content-length': String(answer.body.length) },
    body: answer.body,
  };
}

/** One request to s3rver, its answer read whole; `write` sends the body (none by default). */
function send(
  upstream: Upstream,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  write?: (outgoing: http.ClientRequest) => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port: upstream.port, method, path, headers: write ? headers : { ...headers, 'content-length': '0' }, agent: upstream.agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    if (write) write(outgoing);
    else outgoing.end();
  });
}

/**
 * s3rver's answer as S3 would give it: the stored checksum hidden, and shown as S3 shows
 * checksums to a read of the whole object that asks for it.
 */
export function checksumAnswerHeaders(
  req: http.IncomingMessage,
  status: number,
  headers: http.OutgoingHttpHeaders,
): http.OutgoingHttpHeaders {
  const stored = headers[storedChecksumHeader];
  const out = { ...headers };
  delete out[storedChecksumHeader];
  if (status !== 200) return out;
  const asked = String(req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() === 'ENABLED';
  if ((req.method === 'GET' || req.method === 'HEAD') && asked && typeof stored === 'string') {
    return { ...out, [checksumHeader]: stored, 'x-amz-checksum-type': 'FULL_OBJECT' };
  }
  return out;
}
