/**
 * Which S3 API operation a request is and which IAM actions on which resources it needs, as
 * S3 authorises it (the SDK's command docs and S3's multipart permissions page):
 * GET/HEAD object (ranged too) -> s3:GetObject; PUT and the multipart calls -> s3:PutObject
 * (+ s3:PutObjectTagging with x-amz-tagging); CopyObject / UploadPartCopy -> s3:GetObject on
 * the source and s3:PutObject on the destination; DELETE -> s3:DeleteObject; DeleteObjects ->
 * s3:DeleteObject per key (decided by the front, which reads the body); ListObjects and HEAD
 * bucket -> s3:ListBucket on the bucket.
 */

export interface IamCheck {
  action: string;
  resource: string;
}

export interface S3Operation {
  /** The API operation's name, e.g. `CopyObject`. */
  name: string;
  bucket?: string;
  key?: string;
  /** Every check must pass; DeleteObjects has none here (one per key in its body). */
  checks: IamCheck[];
}

type Headers = Record<string, string | string[] | undefined>;

export const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket: string, key: string): string => `arn:aws:s3:::${bucket}/${key}`;

/** An action no function is ever granted: what the front cannot classify, only the admin may do. */
const unsupported = 's3:UnsupportedRequest';

export function describeS3Request(method: string, rawPath: string, query: URLSearchParams, headers: Headers): S3Operation {
  const [bucket = '', ...rest] = rawPath.replace(/^\//, '').split('/').map(decodeSegment);
  const key = rest.join('/');
  const verb = method.toUpperCase();
  if (bucket === '') {
    return { name: 'ListBuckets', checks: [{ action: verb === 'GET' ? 's3:ListAllMyBuckets' : unsupported, resource: '*' }] };
  }
  if (key === '') return describeBucketRequest(verb, bucket, query);

  const on = (name: string, ...actions: string[]): S3Operation => ({
    name,
    bucket,
    key,
    checks: actions.map((action) => ({ action, resource: objectArn(bucket, key) })),
  });
  switch (verb) {
    case 'GET':
    case 'HEAD':
      if (query.has('uploadId')) return on('ListParts', 's3:ListMultipartUploadParts');
      if (query.has('tagging')) return on('GetObjectTagging', 's3:GetObjectTagging');
      if (query.has('acl')) return on('GetObjectAcl', 's3:GetObjectAcl');
      return on(verb === 'GET' ? 'GetObject' : 'HeadObject', 's3:GetObject');
    case 'PUT': {
      if (query.has('tagging')) return on('PutObjectTagging', 's3:PutObjectTagging');
      if (query.has('acl')) return on('PutObjectAcl', 's3:PutObjectAcl');
      const tagging = headers['x-amz-tagging'] !== undefined ? ['s3:PutObjectTagging'] : [];
      const source = copySource(headers['x-amz-copy-source']);
      if (source) {
        const copy = on(query.has('uploadId') ? 'UploadPartCopy' : 'CopyObject', 's3:PutObject', ...tagging);
        return { ...copy, checks: [{ action: 's3:GetObject', resource: objectArn(source.bucket, source.key) }, ...copy.checks] };
      }
      return on(query.has('uploadId') ? 'UploadPart' : 'PutObject', 's3:PutObject', ...tagging);
    }
    case 'POST':
      if (query.has('uploads')) return on('CreateMultipartUpload', 's3:PutObject');
      if (query.has('uploadId')) return on('CompleteMultipartUpload', 's3:PutObject');
      return on('Unknown', unsupported);
    case 'DELETE':
      if (query.has('uploadId')) return on('AbortMultipartUpload', 's3:AbortMultipartUpload');
      if (query.has('tagging')) return on('DeleteObjectTagging', 's3:DeleteObjectTagging');
      return on('DeleteObject', 's3:DeleteObject');
    default:
      return on('Unknown', unsupported);
  }
}

function describeBucketRequest(verb: string, bucket: string, query: URLSearchParams): S3Operation {
  const on = (name: string, action: string): S3Operation => ({
    name,
    bucket,
    checks: [{ action, resource: bucketArn(bucket) }],
  });
  if (verb === 'POST' && query.has('delete')) return { name: 'DeleteObjects', bucket, checks: [] };
  if (verb === 'HEAD') return on('HeadBucket', 's3:ListBucket');
  if (verb === 'GET') {
    if (query.has('uploads')) return on('ListMultipartUploads', 's3:ListBucketMultipartUploads');
    if (query.has('location')) return on('GetBucketLocation', 's3:GetBucketLocation');
    const subresource = [...query.keys()].some((name) => !listParameters.has(name));
    if (subresource) return on('Unknown', unsupported);
    return on(query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', 's3:ListBucket');
  }
  if (verb === 'PUT' && [...query.keys()].length === 0) return on('CreateBucket', 's3:CreateBucket');
  if (verb === 'DELETE' && [...query.keys()].length === 0) return on('DeleteBucket', 's3:DeleteBucket');
  return on('Unknown', unsupported);
}

const listParameters = new Set([
  'list-type',
  'prefix',
  'delimiter',
  'max-keys',
  'continuation-token',
  'start-after',
  'fetch-owner',
  'encoding-type',
  'marker',
  // Added by the SDK's presigner and by every signed query request.
  'x-id',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Content-Sha256',
  'X-Amz-Security-Token',
]);

/** `x-amz-copy-source: [/]bucket/key[?versionId=...]`, URL-encoded. */
export function copySource(value: string | string[] | undefined): { bucket: string; key: string } | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const [path = ''] = raw.replace(/^\//, '').split('?');
  const [bucket = '', ...rest] = path.split('/').map(decodeSegment);
  return { bucket, key: rest.join('/') };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The keys a DeleteObjects body names (S3's XML, entities decoded). */
export function deleteObjectsKeys(xml: string): string[] {
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((match) => unescapeXml(match[1] ?? ''));
}

/** A DeleteObjects body for just these keys. */
export function deleteObjectsBody(keys: readonly string[], quiet: boolean): string {
  const objects = keys.map((key) => `<Object><Key>${escapeXml(key)}</Key></Object>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${quiet ? '<Quiet>true</Quiet>' : ''}${objects}</Delete>`;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function unescapeXml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
