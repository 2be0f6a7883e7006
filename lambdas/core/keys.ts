import { createHash } from 'node:crypto';

/**
 * Object keys. Every key carries the caller's org, so tenant isolation holds in the bucket
 * as well as in the table:
 *   temp/<org>/<uploadId>/<name>            unsaved uploads, expired by the lifecycle rule
 *   files/<org>/<fileId>/<uploadId>/<name>  saved versions
 *   previews/<org>/<fileId>/<version>/<size> rendered previews, deleted with their file
 * The upload id of a version's permanent key is the one of its temp key, so retrying a save
 * copies to the same place instead of leaving a second object behind.
 */

export const tempPrefix = 'temp/';
export const filesPrefix = 'files/';
export const previewsPrefix = 'previews/';
/**
 * Kept previews expire after this many days (a lifecycle rule) and are rendered again when
 * asked for: the cache stays bounded, and a preview that outlived its file's delete goes too.
 */
export const previewExpirationDays = 30;
const maxNameLength = 200;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/**
 * Turns a user's filename into one safe key segment: no path separators, no `..`, no control
 * or invisible characters, bounded length, extension kept. The name itself stays verbatim in
 * the entity; this is only for the key.
 *
 * Idempotent (`safeKeySegment(safeKeySegment(x)) === safeKeySegment(x)`): save recognises a
 * temp key by re-deriving its last segment, so a segment that changed again would refuse an
 * upload this service handed out. Each step below keeps what the steps before it ensured.
 */
export function safeKeySegment(filename: string): string {
  const visible = filename
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    // Lone surrogates cannot be encoded into a URL.
    .replace(/[\ud800-\udfff]/gu, '')
    // Removing a character can join a letter and a combining mark that now compose.
    .normalize('NFC');
  const cleaned = tidy(
    visible
      .replace(/[/\\]/g, '_')
      .replace(/[<>:"|?*#%{}^~[\]`]/g, '_')
      .replace(/\s+/g, ' '),
  );
  // Cutting can put a dot next to the extension's dot or end the name on a space.
  const bounded = tidy(truncateKeepingExtension(cleaned, maxNameLength));
  return bounded.length > 0 ? bounded : 'file';
}

/** No `..`, no leading dots or spaces (hidden or relative names), no trailing spaces. */
function tidy(name: string): string {
  return name
    .replace(/\.{2,}/g, '.')
    .replace(/^[.\s]+/, '')
    .trimEnd();
}

function truncateKeepingExtension(name: string, max: number): string {
  const chars = Array.from(name);
  if (chars.length <= max) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? Array.from(name.slice(dot)).slice(0, 16).join('') : '';
  return chars.slice(0, max - Array.from(extension).length).join('') + extension;
}

export function tempKey(org: string, uploadId: string, filename: string): string {
  return `${tempPrefix}${encodeOrg(org)}/${uploadId}/${safeKeySegment(filename)}`;
}

export function permanentKey(org: string, fileId: string, uploadId: string, filename: string): string {
  return `${filesPrefix}${encodeOrg(org)}/${fileId}/${uploadId}/${safeKeySegment(filename)}`;
}

/** The parts of a temp key, or undefined when the key is not a temp key of the given org. */
export function parseTempKey(org: string, key: string): { uploadId: string; name: string } | undefined {
  const prefix = tempPrefixOf(org);
  if (!key.startsWith(prefix)) return undefined;
  const [uploadId, name, ...rest] = key.slice(prefix.length).split('/');
  // Only keys of the form uploadFile hands out: anything else never came from this service.
  if (!uploadId || !isUuid(uploadId) || !name || rest.length > 0 || safeKeySegment(name) !== name) return undefined;
  return { uploadId, name };
}

/**
 * The parts of a saved-file key of the org (a multipart upload is made at its permanent key),
 * or undefined when the key is not one.
 */
export function parsePermanentKey(org: string, key: string): { fileId: string; uploadId: string; name: string } | undefined {
  const prefix = filesPrefixOf(org);
  if (!key.startsWith(prefix)) return undefined;
  const [fileId, uploadId, name, ...rest] = key.slice(prefix.length).split('/');
  if (!fileId || !isUuid(fileId) || !uploadId || !isUuid(uploadId) || !name || rest.length > 0 || safeKeySegment(name) !== name) {
    return undefined;
  }
  return { fileId, uploadId, name };
}

/** Where an org's saved files live. */
export function filesPrefixOf(org: string): string {
  return `${filesPrefix}${encodeOrg(org)}/`;
}

/** Where one rendered size of one version of a file is kept (`size` as `<w>x<h>`, `-` for a free side). */
export function previewKey(org: string, fileId: string, version: number, size: string): string {
  return `${previewsPrefix}${encodeOrg(org)}/${fileId}/${version}/${size}`;
}

/** Where an org's uploads live. */
export function tempPrefixOf(org: string): string {
  return `${tempPrefix}${encodeOrg(org)}/`;
}

/** An encoded org longer than this is named by its digest: S3 keys hold at most 1,024 bytes. */
const maxOrgSegmentBytes = 64;

/**
 * Org ids are opaque strings from the token; keep them to one safe segment. A long one (up
 * to 128 characters of any kind) would leave no room for the name in a 1,024-byte key: its
 * SHA-256 stands in, after a `%` that URI encoding never leaves bare, so no org's own
 * segment can be another's digest.
 */
function encodeOrg(org: string): string {
  const encoded = encodeURIComponent(org);
  return encoded.length <= maxOrgSegmentBytes ? encoded : `%${createHash('sha256').update(org).digest('base64url')}`;
}
