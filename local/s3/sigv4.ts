import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The parts of an HTTP request that SigV4 covers, exactly as they came off the wire. */
export interface SigV4Request {
  method: string;
  /** Raw (still percent-encoded) path, without the query string. */
  path: string;
  /** Raw query string without the leading '?'; '' when absent. */
  query: string;
  /** Lower-case header names, as Node's IncomingMessage.headers gives them. */
  headers: Record<string, string | string[] | undefined>;
  /**
   * Hex SHA-256 of the body, for services whose clients do not send x-amz-content-sha256
   * (DynamoDB signs the body's hash without sending it). S3 requires the header instead.
   */
  payloadHash?: string;
}

/** Returns the secret for an access key id, or undefined when the key is unknown. */
export type CredentialLookup = (accessKeyId: string) => string | undefined;

export interface VerifyOptions {
  credentials: CredentialLookup;
  /** When set, the credential scope must name this region (as S3 insists). */
  region?: string;
  /** The service the credential scope must name; defaults to s3. */
  service?: string;
  now?: Date;
}

export type SigV4ErrorCode =
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'InvalidAccessKeyId'
  | 'InvalidArgument'
  | 'InvalidRequest'
  | 'RequestTimeTooSkewed'
  | 'SignatureDoesNotMatch';

export interface SigV4Failure {
  ok: false;
  status: 400 | 403;
  code: SigV4ErrorCode;
  message: string;
  /** Extra elements S3 puts in its error body; handy when debugging a client. */
  details?: Record<string, string>;
}

export type SigV4Result = { ok: true; accessKeyId: string } | SigV4Failure;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 60 * 60;
const PAYLOAD_HASH = /^(UNSIGNED-PAYLOAD|STREAMING-[A-Z0-9-]+|[0-9a-f]{64})$/;

const STATUS: Record<SigV4ErrorCode, 400 | 403> = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidRequest: 400,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
};

const fail = (code: SigV4ErrorCode, message: string, details?: Record<string, string>): SigV4Failure => ({
  ok: false,
  status: STATUS[code],
  code,
  message,
  ...(details ? { details } : {}),
});

/** Everything both auth forms boil down to before the signature can be recomputed. */
interface AuthParts {
  accessKeyId: string;
  scope: { date: string; region: string; service: string; terminator: string };
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  /** Query parameters that are part of the canonical query (X-Amz-Signature is not). */
  queryParams: [string, string][];
}

export function verifySigV4(request: SigV4Request, options: VerifyOptions): SigV4Result {
  const now = options.now ?? new Date();
  const params = parseQuery(request.query);
  const authorization = header(request.headers, 'authorization');
  const presigned = params.some(([name]) => name === 'X-Amz-Signature' || name === 'X-Amz-Algorithm');

  if (authorization !== undefined && presigned) {
    return fail(
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  // The bucket blocks public access, so anonymous requests never get through.
  if (authorization === undefined && !presigned) return fail('AccessDenied', 'Access Denied');

  const parsed = presigned ? parsePresigned(params, now) : parseHeaderAuth(authorization ?? '', request, params, now);
  if (!parsed.ok) return parsed;
  const auth = parsed.auth;

  const problem = checkScope(auth, options.region, options.service ?? 's3', presigned);
  if (problem) return problem;

  const secret = options.credentials(auth.accessKeyId);
  if (secret === undefined) {
    return fail('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: auth.accessKeyId,
    });
  }

  if (!auth.signedHeaders.includes('host')) {
    return presigned
      ? fail('AuthorizationQueryParametersError', 'X-Amz-SignedHeaders must include host')
      : fail('AuthorizationHeaderMalformed', 'The authorization header is malformed; SignedHeaders must include host');
  }
  const unsigned = Object.keys(request.headers).filter(
    (name) => name.startsWith('x-amz-') && !auth.signedHeaders.includes(name),
  );
  if (unsigned.length > 0) {
    return fail('AccessDenied', 'There were headers present in the request which were not signed', {
      HeadersNotSigned: unsigned.join(', '),
    });
  }

  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath(request.path),
    canonicalQuery(auth.queryParams),
    ...auth.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request.headers[name])}`),
    '',
    auth.signedHeaders.join(';'),
    auth.payloadHash,
  ].join('\n');
  const { date, region, service, terminator } = auth.scope;
  const stringToSign = [
    ALGORITHM,
    auth.amzDate,
    `${date}/${region}/${service}/${terminator}`,
    sha256Hex(canonicalRequest),
  ].join('\n');

  const expected = sigV4Signature(secret, auth.scope, stringToSign);

  if (!safeEqual(expected, auth.signature)) {
    return fail(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { AWSAccessKeyId: auth.accessKeyId, StringToSign: stringToSign, CanonicalRequest: canonicalRequest },
    );
  }
  return { ok: true, accessKeyId: auth.accessKeyId };
}

type Parsed = { ok: true; auth: AuthParts } | SigV4Failure;

function parsePresigned(params: [string, string][], now: Date): Parsed {
  const get = (name: string) => params.find(([key]) => key === name)?.[1];
  const bad = (message: string) => fail('AuthorizationQueryParametersError', message);

  if (get('X-Amz-Algorithm') !== ALGORITHM) return bad(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const credential = get('X-Amz-Credential');
  const amzDate = get('X-Amz-Date');
  const expires = get('X-Amz-Expires');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const signature = get('X-Amz-Signature');
  if (!credential || !amzDate || !expires || !signedHeaders || !signature) {
    return bad(
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return bad('X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"');
  if (!/^\d+$/.test(expires)) return bad('X-Amz-Expires should be a number');
  const seconds = Number(expires);
  if (seconds > MAX_PRESIGN_SECONDS) {
    return bad('X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds');
  }
  const scope = parseCredential(credential);
  if (!scope) return bad(`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);

  // S3 ignores clock skew for presigned URLs, but not a URL that only becomes valid later.
  if (signedAt - now.getTime() > MAX_SKEW_MS) return fail('AccessDenied', 'Request is not valid yet');
  if (now.getTime() > signedAt + seconds * 1000) {
    return fail('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expires,
      Expires: new Date(signedAt + seconds * 1000).toISOString(),
      ServerTime: now.toISOString(),
    });
  }

  const payloadHash = get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD';
  return {
    ok: true,
    auth: {
      ...scope,
      amzDate,
      signedHeaders: signedHeaders.split(';'),
      signature,
      payloadHash,
      queryParams: params.filter(([name]) => name !== 'X-Amz-Signature'),
    },
  };
}

function parseHeaderAuth(authorization: string, request: SigV4Request, params: [string, string][], now: Date): Parsed {
  const malformed = (why: string) =>
    fail('AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`);

  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) return fail('InvalidArgument', 'Unsupported Authorization Type');

  const fields = new Map<string, string>();
  for (const component of authorization.slice(space + 1).split(',')) {
    const eq = component.indexOf('=');
    if (eq > 0) fields.set(component.slice(0, eq).trim(), component.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) {
    return malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const scope = parseCredential(credential);
  if (!scope) return malformed('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');

  const payloadHash = header(request.headers, 'x-amz-content-sha256') ?? request.payloadHash;
  if (payloadHash === undefined) return fail('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  // Streaming and unsigned payloads are accepted as-is; chunk signatures are not checked locally.
  if (!PAYLOAD_HASH.test(payloadHash)) {
    return fail('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-*, or a valid sha256 value.');
  }

  const amzDate = header(request.headers, 'x-amz-date');
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signedAt === undefined) {
    return fail('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  if (Math.abs(now.getTime() - signedAt) > MAX_SKEW_MS) {
    return fail('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', {
      RequestTime: amzDate,
      ServerTime: now.toISOString(),
    });
  }

  return {
    ok: true,
    auth: { ...scope, amzDate, signedHeaders: signedHeaders.split(';'), signature, payloadHash, queryParams: params },
  };
}

function checkScope(
  auth: AuthParts,
  region: string | undefined,
  service: string,
  presigned: boolean,
): SigV4Failure | undefined {
  const code = presigned ? 'AuthorizationQueryParametersError' : 'AuthorizationHeaderMalformed';
  const { scope } = auth;
  if (scope.date !== auth.amzDate.slice(0, 8)) {
    return fail(code, `Invalid credential date "${scope.date}". This date is not the same as X-Amz-Date: "${auth.amzDate.slice(0, 8)}".`);
  }
  if (region !== undefined && scope.region !== region) {
    return fail(code, `The region '${scope.region}' is wrong; expecting '${region}'`, { Region: region });
  }
  if (scope.service !== service) return fail(code, `The service '${scope.service}' is incorrect; expecting '${service}'`);
  if (scope.terminator !== 'aws4_request') return fail(code, `Incorrect terminal "${scope.terminator}". This endpoint uses "aws4_request".`);
  return undefined;
}

function parseCredential(credential: string): Pick<AuthParts, 'accessKeyId' | 'scope'> | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((part) => part === '')) return undefined;
  const [accessKeyId = '', date = '', region = '', service = '', terminator = ''] = parts;
  if (!/^\d{8}$/.test(date)) return undefined;
  return { accessKeyId, scope: { date, region, service, terminator } };
}

/** Epoch millis for a yyyyMMddTHHmmssZ timestamp, undefined when malformed. */
function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0, s = 0] = m.slice(1).map(Number);
  const millis = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(millis) ? undefined : millis;
}

function parseQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? [decode(pair), ''] : [decode(pair.slice(0, eq)), decode(pair.slice(eq + 1))];
    });
}

/** Query components may use '+' for spaces (form encoding); paths may not. */
function decode(component: string, plusIsSpace = true): string {
  const text = plusIsSpace ? component.replace(/\+/g, ' ') : component;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** AWS UriEncode: everything except unreserved characters, upper-case hex. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * S3 encodes the path once (no double encoding, no dot-segment removal); decoding and
 * re-encoding each segment makes differently-escaped spellings of one key agree.
 */
function canonicalPath(rawPath: string): string {
  const path = rawPath === '' ? '/' : rawPath;
  return path
    .split('/')
    .map((segment) => uriEncode(decode(segment, false)))
    .join('/');
}

function canonicalQuery(params: [string, string][]): string {
  return params
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function canonicalHeaderValue(value: string | string[] | undefined): string {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');
}

function header(headers: SigV4Request['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** The SigV4 signature of `stringToSign` (hex), with the key derived from the secret and the scope. */
export function sigV4Signature(
  secret: string,
  scope: { date: string; region: string; service: string; terminator: string },
  stringToSign: string,
): string {
  let key: Buffer = hmac(`AWS4${secret}`, scope.date);
  for (const part of [scope.region, scope.service, scope.terminator]) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex');
}

/** Compares signatures in constant time. */
export function safeEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Reads a JSON-protocol request (DynamoDB, EventBridge) whole and verifies its signature
 * against the account's keys: the body, and who signed it or why it is refused.
 */
export async function readSignedRequest(
  req: IncomingMessage,
  options: { credentials: VerifyOptions['credentials']; region: string; service: string },
): Promise<{ body: Buffer; verdict: SigV4Result }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const verdict = verifySigV4(
    {
      method: req.method ?? 'POST',
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? '' : url.slice(q + 1),
      headers: req.headers,
      payloadHash: createHash('sha256').update(body).digest('hex'),
    },
    options,
  );
  return { body, verdict };
}
