import { allowedTypePattern } from './core/file-types';
import { parseHttpHosts } from './core/source-url';
import type { HttpHost } from './core/source-url';
import { defaultCopyPartThresholdBytes, minCopyPartThresholdBytes } from './adapters/part-copy';

/**
 * Handler configuration from the environment, read when first needed (not at import) so
 * tests and the local API can set it, and a missing variable fails loudly.
 */
export interface Config {
  tableName: string;
  bucketName: string;
  region: string;
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
  /** Days after its upload that an object can still be saved: the temp/ lifecycle rule's days. */
  tempExpiryDays: number;
  /** Types and wildcards (`image/*`) a file may have, checked at upload and at save; undefined allows all. */
  allowedMimeTypes?: string[];
  /** Objects of at least this many bytes are copied in parallel parts rather than with one CopyObject. */
  copyPartThresholdBytes: number;
  /** A declared size above this is uploaded in parts unless the client asks otherwise. */
  multipartThresholdBytes: number;
  /** Hosts a save's source_url may fetch over plain http (SOURCE_URL_HTTP_HOSTS); https needs none. */
  sourceUrlHttpHosts: HttpHost[];
  /** How long fetching a source_url may take, redirects and bytes included (SOURCE_URL_TIMEOUT_MS). */
  sourceUrlTimeoutMs: number;
  /** A file of more bytes gets no preview (PREVIEW_MAX_SOURCE_BYTES, default 64 MiB). */
  previewMaxSourceBytes: number;
  /** An image of more pixels gets no preview, and is never decoded (PREVIEW_MAX_INPUT_PIXELS, default 100 million). */
  previewMaxInputPixels: number;
  /** Local stand-ins: where the service reaches S3 and DynamoDB. Unset on AWS. */
  s3Endpoint?: string;
  dynamoDbEndpoint?: string;
}

const fiveGiB = 5 * 1024 ** 3;
export const defaultPreviewMaxSourceBytes = 64 * 1024 * 1024;
export const defaultPreviewMaxInputPixels = 100_000_000;

/**
 * A presigned URL stops working when the temporary session credentials that signed it
 * expire, whatever its own expiry says: a Lambda's session lasts hours at most and is
 * renewed at any time. An hour at most keeps an URL's stated lifetime honest.
 */
export const maxUrlTtlSeconds = 3600;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: required(env, 'TABLE_NAME'),
    bucketName: required(env, 'BUCKET_NAME'),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxUploadBytes: positiveInt(env, 'MAX_UPLOAD_BYTES', fiveGiB),
    uploadUrlTtlSeconds: urlTtl(env, 'UPLOAD_URL_TTL_SECONDS'),
    downloadUrlTtlSeconds: urlTtl(env, 'DOWNLOAD_URL_TTL_SECONDS'),
    tempExpiryDays: positiveInt(env, 'TEMP_EXPIRY_DAYS', 1),
    multipartThresholdBytes: positiveInt(env, 'MULTIPART_THRESHOLD_BYTES', fiveGiB),
    ...allowedMimeTypes(env),
    sourceUrlHttpHosts: sourceUrlHttpHosts(env),
    sourceUrlTimeoutMs: sourceUrlTimeoutMs(env),
    copyPartThresholdBytes: copyPartThreshold(env),
    previewMaxSourceBytes: positiveInt(env, 'PREVIEW_MAX_SOURCE_BYTES', defaultPreviewMaxSourceBytes),
    previewMaxInputPixels: positiveInt(env, 'PREVIEW_MAX_INPUT_PIXELS', defaultPreviewMaxInputPixels),
    ...(env.S3_ENDPOINT ? { s3Endpoint: env.S3_ENDPOINT } : {}),
    ...(env.DYNAMODB_ENDPOINT ? { dynamoDbEndpoint: env.DYNAMODB_ENDPOINT } : {}),
  };
}

/**
 * The JWT claim that names the caller's organization: `org_id` by default; Cognito puts
 * custom attributes under `custom:<name>`, e.g. TENANT_CLAIM=custom:org_id.
 */
export function tenantClaim(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.TENANT_CLAIM?.trim();
  return value ? value : 'org_id';
}

/**
 * The JWT claim that lists the caller's roles (`roles` by default; Cognito groups are in
 * `cognito:groups`), and the role in it that makes an org admin (`admin` by default).
 */
export function rolesClaim(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.ROLES_CLAIM?.trim();
  return value ? value : 'roles';
}

export function adminRole(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.ADMIN_ROLE?.trim();
  return value ? value : 'admin';
}

/**
 * The OAuth scope that marks a backend's client-credentials token (`file-service/service` by
 * default): a token whose `scope` claim lists it acts as a service of its org.
 */
export function serviceScope(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.SERVICE_SCOPE?.trim();
  return value ? value : 'file-service/service';
}

/**
 * Whether a claim lists the role. API Gateway's JWT authorizer hands claims on as strings
 * and a list as `[a b c]`; a JSON list, a plain list and a space- or comma-separated string
 * are read too.
 */
export function claimHasRole(claim: unknown, role: string): boolean {
  if (Array.isArray(claim)) return claim.map(String).includes(role);
  if (typeof claim !== 'string') return false;
  const text = claim.trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String).includes(role);
    } catch {
      // API Gateway's own form, `[a b c]`, is not JSON.
    }
    return text.slice(1, -1).split(/[\s,]+/).includes(role);
  }
  return text.split(/[\s,]+/).includes(role);
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** ALLOWED_MIME_TYPES: a comma-separated list such as `image/*,application/pdf`; unset or empty allows all. */
function allowedMimeTypes(env: NodeJS.ProcessEnv): { allowedMimeTypes?: string[] } {
  const entries = (env.ALLOWED_MIME_TYPES ?? '').split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  if (entries.length === 0) return {};
  const invalid = entries.find((entry) => !allowedTypePattern.test(entry));
  if (invalid !== undefined) {
    throw new Error(
      `Environment variable ALLOWED_MIME_TYPES must list MIME types or wildcards such as image/*, separated by commas; got "${invalid}"`,
    );
  }
  return { allowedMimeTypes: entries };
}

/**
 * COPY_PART_THRESHOLD_BYTES (default 256 MiB): from 5 MiB, S3's smallest part, to 5 GiB, the
 * largest object one CopyObject copies.
 */
function copyPartThreshold(env: NodeJS.ProcessEnv): number {
  const value = positiveInt(env, 'COPY_PART_THRESHOLD_BYTES', defaultCopyPartThresholdBytes);
  if (value < minCopyPartThresholdBytes || value > fiveGiB) {
    throw new Error(
      `Environment variable COPY_PART_THRESHOLD_BYTES must be from ${minCopyPartThresholdBytes} (5 MiB, the smallest part S3 copies) ` +
        `to ${fiveGiB} (5 GiB, the largest CopyObject), got ${value}`,
    );
  }
  return value;
}

function urlTtl(env: NodeJS.ProcessEnv, name: string): number {
  const value = positiveInt(env, name, 900);
  if (value > maxUrlTtlSeconds) {
    throw new Error(
      `Environment variable ${name} must be at most ${maxUrlTtlSeconds} seconds, got ${value}: presigned URLs ` +
        'stop working when the temporary credentials that signed them expire, so a longer lifetime would be a promise ' +
        'the URL cannot keep',
    );
  }
  return value;
}

/**
 * The longest SOURCE_URL_TIMEOUT_MS: the save of the fetched bytes (an inspection, a copy and
 * a transaction) must still fit the save function's 29 s, within API Gateway's 30 s.
 */
export const maxSourceUrlTimeoutMs = 25_000;

/** SOURCE_URL_HTTP_HOSTS: comma-separated `host` (any port) or `host:port`; unset or empty allows none. */
function sourceUrlHttpHosts(env: NodeJS.ProcessEnv): HttpHost[] {
  const entries = (env.SOURCE_URL_HTTP_HOSTS ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    return parseHttpHosts(entries);
  } catch (error) {
    throw new Error(`Environment variable SOURCE_URL_HTTP_HOSTS must list host or host:port entries separated by commas: ${(error as Error).message}`);
  }
}

function sourceUrlTimeoutMs(env: NodeJS.ProcessEnv): number {
  const value = positiveInt(env, 'SOURCE_URL_TIMEOUT_MS', 20_000);
  if (value > maxSourceUrlTimeoutMs) {
    throw new Error(
      `Environment variable SOURCE_URL_TIMEOUT_MS must be at most ${maxSourceUrlTimeoutMs} ms, got ${value}: the fetched file must still be saved within the 29 s the save function has`,
    );
  }
  return value;
}
