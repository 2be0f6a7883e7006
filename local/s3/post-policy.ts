import type { CredentialLookup } from './sigv4';
import { safeEqual, sigV4Signature } from './sigv4';

/**
 * S3's browser-based uploads (POST Object with a SigV4-signed policy), checked as S3 checks
 * them: the signature is the HMAC of the base64 policy with the signing key of the access key
 * in `x-amz-credential`; the policy must not have expired; every condition must hold; and
 * every form field but `x-amz-signature`, `file`, `policy` and `x-ignore-*` must be named by
 * a condition. Field names are case-insensitive, values are not.
 */

export interface PostPolicyFailure {
  ok: false;
  status: 400 | 403 | 404;
  code: string;
  message: string;
  details?: Record<string, string>;
}

export interface LengthRange {
  min: number;
  max: number;
}

export type PostPolicyVerdict =
  | { ok: true; accessKeyId: string; key: string; length: LengthRange }
  | PostPolicyFailure;

export interface PostForm {
  /** The bucket the form was posted to (from the URL): what `$bucket` conditions match. */
  bucket: string;
  /** The fields before the file, in order, names as sent. */
  fields: ReadonlyArray<readonly [string, string]>;
}

export interface PostPolicyOptions {
  credentials: CredentialLookup;
  region: string;
  now?: Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Without a content-length-range condition, S3's own object size limit is the only bound. */
const MAX_SINGLE_UPLOAD = 5 * 1024 ** 3;
const UNCOVERED = new Set(['x-amz-signature', 'file', 'policy']);

const failure = (status: 400 | 403, code: string, message: string, details?: Record<string, string>): PostPolicyFailure => ({
  ok: false,
  status,
  code,
  message,
  ...(details ? { details } : {}),
});
const invalidPolicy = (why: string) => failure(400, 'InvalidPolicyDocument', `Invalid Policy: ${why}`);
const violates = (why: string) => failure(403, 'AccessDenied', `Invalid according to Policy: ${why}`);
const missingField = (name: string) =>
  failure(400, 'InvalidArgument', `Bucket POST must contain a field named '${name}'.  If it is specified, please check the order of the fields.`, {
    ArgumentName: name,
    ArgumentValue: '',
  });

export function verifyPostPolicy(form: PostForm, options: PostPolicyOptions): PostPolicyVerdict {
  const fields = new Map<string, string>();
  for (const [name, value] of form.fields) {
    if (!fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value);
  }
  const policy = fields.get('policy');
  // A form without a policy is an anonymous write, which this bucket (like ours on AWS) refuses.
  if (policy === undefined && !fields.has('x-amz-signature')) return failure(403, 'AccessDenied', 'Access Denied');
  for (const name of ['policy', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature']) {
    if (!fields.get(name)) return missingField(name);
  }
  const signed = signedBy(fields, options);
  if (!signed.ok) return signed;

  const document = parsePolicy(policy ?? '');
  if ('ok' in document) return document;
  const expires = Date.parse(document.expiration);
  if (Number.isNaN(expires)) return invalidPolicy(`Invalid 'expiration' value: '${document.expiration}'`);
  if (expires <= (options.now ?? new Date()).getTime()) return violates('Policy expired.');

  const key = fields.get('key');
  if (key === undefined || key === '') return missingField('key');
  const valueOf = (name: string) => (name === 'bucket' ? form.bucket : (fields.get(name) ?? ''));
  const covered = new Set<string>();
  const length: LengthRange = { min: 0, max: MAX_SINGLE_UPLOAD };
  for (const condition of document.conditions) {
    const checked = checkCondition(condition, valueOf);
    if ('ok' in checked) return checked;
    if ('range' in checked) {
      length.min = Math.max(length.min, checked.range.min);
      length.max = Math.min(length.max, checked.range.max);
    } else covered.add(checked.field);
  }
  const extra = [...fields.keys()].filter((name) => !UNCOVERED.has(name) && !name.startsWith('x-ignore-') && !covered.has(name));
  if (extra.length > 0) return violates(`Extra input fields: ${extra.join(', ')}`);
  return { ok: true, accessKeyId: signed.accessKeyId, key, length };
}

/** EntityTooSmall / EntityTooLarge when the file's size is outside the policy's range. */
export function checkPostLength(size: number, range: LengthRange): PostPolicyFailure | undefined {
  if (size > range.max) {
    return failure(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      ProposedSize: String(size),
      MaxSizeAllowed: String(range.max),
    });
  }
  if (size < range.min) {
    return failure(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', {
      ProposedSize: String(size),
      MinSizeAllowed: String(range.min),
    });
  }
  return undefined;
}

/** The signature over the base64 policy, with the signing key of the credential's scope. */
function signedBy(fields: Map<string, string>, options: PostPolicyOptions): { ok: true; accessKeyId: string } | PostPolicyFailure {
  const algorithm = fields.get('x-amz-algorithm') ?? '';
  if (algorithm !== ALGORITHM) return failure(400, 'InvalidArgument', `Unsupported x-amz-algorithm: ${algorithm}`);
  const [accessKeyId = '', date = '', region = '', service = '', terminator = '', ...rest] = (fields.get('x-amz-credential') ?? '').split('/');
  if (rest.length > 0 || !/^\d{8}$/.test(date) || service !== 's3' || terminator !== 'aws4_request') {
    return failure(400, 'InvalidArgument', 'x-amz-credential is malformed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/s3/aws4_request".');
  }
  if (region !== options.region) {
    return failure(400, 'AuthorizationQueryParametersError', `The region '${region}' is wrong; expecting '${options.region}'`);
  }
  if (!(fields.get('x-amz-date') ?? '').startsWith(date)) {
    return failure(400, 'InvalidArgument', `Invalid credential date "${date}". This date is not the same as x-amz-date.`);
  }
  const secret = options.credentials(accessKeyId);
  if (secret === undefined) {
    return failure(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  // The policy (base64, as sent) is what a POST's signature covers.
  const expected = sigV4Signature(secret, { date, region, service, terminator }, fields.get('policy') ?? '');
  const provided = fields.get('x-amz-signature') ?? '';
  if (!safeEqual(expected, provided)) {
    return failure(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: accessKeyId,
    });
  }
  return { ok: true, accessKeyId };
}

interface PolicyDocument {
  expiration: string;
  conditions: unknown[];
}

function parsePolicy(base64: string): PolicyDocument | PostPolicyFailure {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return invalidPolicy('Invalid JSON.');
  }
  if (typeof document !== 'object' || document === null) return invalidPolicy('Invalid JSON.');
  const { expiration, conditions } = document as Record<string, unknown>;
  if (typeof expiration !== 'string') return invalidPolicy('Policy missing expiration.');
  if (!Array.isArray(conditions)) return invalidPolicy('Policy missing conditions.');
  return { expiration, conditions };
}

type Checked = { field: string } | { range: LengthRange } | PostPolicyFailure;

/** One condition: `{field: value}`, `["eq"|"starts-with", "$field", value]` or a length range. */
function checkCondition(condition: unknown, valueOf: (field: string) => string): Checked {
  const text = JSON.stringify(condition);
  const failed = violates(`Policy Condition failed: ${text}`);
  if (Array.isArray(condition)) {
    const [operator, first, second, ...rest] = condition as unknown[];
    const op = typeof operator === 'string' ? operator.toLowerCase() : '';
    if (op === 'content-length-range') {
      const [min, max] = [Number(first), Number(second)];
      if (rest.length > 0 || !Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) {
        return invalidPolicy(`Invalid content-length-range: ${text}`);
      }
      return { range: { min, max } };
    }
    if ((op !== 'eq' && op !== 'starts-with') || rest.length > 0 || typeof first !== 'string' || !first.startsWith('$') || typeof second !== 'string') {
      return invalidPolicy(`Invalid Condition: ${text}`);
    }
    const field = first.slice(1).toLowerCase();
    const value = valueOf(field);
    // A Content-Type may list several types; each must start with the prefix.
    const values = field === 'content-type' && op === 'starts-with' ? value.split(',').map((v) => v.trim()) : [value];
    const holds = op === 'eq' ? value === second : values.every((v) => v.startsWith(second));
    return holds ? { field } : failed;
  }
  if (typeof condition === 'object' && condition !== null) {
    const entries = Object.entries(condition);
    const [entry] = entries;
    if (entries.length !== 1 || !entry || typeof entry[1] !== 'string') return invalidPolicy(`Invalid Condition: ${text}`);
    const field = entry[0].toLowerCase();
    return valueOf(field) === entry[1] ? { field } : failed;
  }
  return invalidPolicy(`Invalid Condition: ${text}`);
}
