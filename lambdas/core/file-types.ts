/** Classification of files by MIME type, human-readable sizes and content sniffing. */

export const fileTypes = [
  'document',
  'document_template',
  'text',
  'image',
  'video',
  'audio',
  'spreadsheet',
  'presentation',
  'font',
  'archive',
  'application',
  'unknown',
] as const;
export type FileType = (typeof fileTypes)[number];

const exactTypes: Record<string, FileType> = {
  'application/pdf': 'document',
  'application/msword': 'document',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'document',
  'application/vnd.oasis.opendocument.text': 'document',
  'application/rtf': 'document',
  'application/vnd.ms-excel': 'spreadsheet',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'spreadsheet',
  'application/vnd.oasis.opendocument.spreadsheet': 'spreadsheet',
  'text/csv': 'spreadsheet',
  'application/vnd.ms-powerpoint': 'presentation',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'presentation',
  'application/vnd.oasis.opendocument.presentation': 'presentation',
  'application/zip': 'archive',
  'application/gzip': 'archive',
  'application/x-gzip': 'archive',
  'application/x-tar': 'archive',
  'application/x-7z-compressed': 'archive',
  'application/vnd.rar': 'archive',
  'application/x-rar-compressed': 'archive',
  'application/json': 'text',
  'application/xml': 'text',
  'application/octet-stream': 'unknown',
};

/** Maps a MIME type (parameters ignored) to epilot's file type. */
export function fileTypeOf(mimeType: string): FileType {
  const essence = mimeEssence(mimeType);
  const exact = exactTypes[essence];
  if (exact) return exact;
  const [top] = essence.split('/');
  switch (top) {
    case 'image':
    case 'video':
    case 'audio':
    case 'text':
    case 'font':
      return top;
    case 'application':
      return 'application';
    default:
      return 'unknown';
  }
}

/** `Text/HTML; charset=utf-8` -> `text/html`. */
export function mimeEssence(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}

const units = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1234 -> "1.2 KB", as epilot shows sizes (decimal units, one decimal below 10). */
export function readableSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value).toString() : value.toFixed(1);
  return `${shown} ${units[unit]}`;
}

/**
 * How many leading bytes the sniffer reads: file-type's own detection window, within which it
 * recognises every format it knows by its start.
 */
export const sniffLength = 4100;

let sniffer: Promise<(head: Uint8Array) => Promise<{ mime: string } | undefined>> | undefined;

/**
 * The `file-type` package (a maintained catalogue of magic numbers, not a table of ours),
 * loaded on first use: only saves sniff, so no other cold start pays for it.
 */
function fileTypeSniffer() {
  return (sniffer ??= import('file-type').then((module) => module.fileTypeFromBuffer));
}

/** The type the first bytes show, if they carry a signature file-type knows. */
export async function sniffMimeType(head: Uint8Array): Promise<string | undefined> {
  if (head.length === 0) return undefined;
  return (await (await fileTypeSniffer())(head))?.mime;
}

/**
 * Text declared as text is not refuted by a signature file-type finds in it: in bytes that
 * read as text a binary format is a coincidence (`org-wide` has QuickTime's `wide` atom where
 * a movie has one), and a text-based one (`%PDF-`, `<?xml`) is served as the text it is.
 */
function isTextAsText(mimeType: string, head: Uint8Array): boolean {
  return isTextual(mimeType) && readsAsText(head);
}

/** No control bytes but the whitespace ones (and ESC, which terminal logs carry): text in any 8-bit or UTF-8 encoding. */
function readsAsText(head: Uint8Array): boolean {
  return head.every((byte) => byte >= 0x20 ? byte !== 0x7f : byte === 0x1b || (byte >= 0x09 && byte <= 0x0d));
}

/** Formats that are text themselves: text/*, JSON, XML, YAML, JavaScript and their `+json`/`+xml` kin. */
function isTextual(mimeType: string): boolean {
  const essence = mimeEssence(mimeType);
  return essence.startsWith('text/') || /(^|[/+.-])(json|xml|yaml|javascript|ecmascript|csv|toml|sql|graphql)$/.test(essence);
}

/**
 * Types that file-type always recognises from their first bytes: bytes it cannot recognise
 * refute them. Of any other type, unrecognised bytes (text, CSV, JSON, a truncated head) say nothing.
 */
const alwaysRecognised = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'application/zip',
  'application/gzip',
]);

/** Other names in use for the type file-type answers. */
const aliases: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/vnd.microsoft.icon': 'image/x-icon',
  'application/x-gzip': 'application/gzip',
  'application/x-zip-compressed': 'application/zip',
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/vnd.wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'audio/x-flac': 'audio/flac',
};

/** Zip containers: docx, xlsx, pptx, OpenDocument, EPUB, JAR are zips with a declared purpose. */
function isZipBased(essence: string): boolean {
  return (
    essence === 'application/zip' ||
    essence === 'application/java-archive' ||
    essence.endsWith('+zip') ||
    essence.startsWith('application/vnd.openxmlformats-officedocument.') ||
    essence.startsWith('application/vnd.oasis.opendocument.') ||
    (essence.startsWith('application/vnd.ms-') && essence.includes('macroenabled'))
  );
}

/** Compound File Binary containers: the Office formats before 2007 (doc, xls, ppt, msg) and MSI. */
function isCfbBased(essence: string): boolean {
  return (
    essence === 'application/x-cfb' ||
    essence === 'application/msword' ||
    essence === 'application/x-msi' ||
    essence === 'application/vnd.visio' ||
    (essence.startsWith('application/vnd.ms-') && !essence.includes('macroenabled'))
  );
}

/**
 * Whether a declared type admits bytes that file-type recognised as `sniffed`: the same type
 * (or an alias of it), a format of the same container family (zip, CFB), or a text format
 * (XML, iCalendar, WebVTT) declared as any text format (`text/plain`, `image/svg+xml`).
 */
function admits(declared: string, sniffed: string): boolean {
  const expected = aliases[declared] ?? declared;
  const found = aliases[sniffed] ?? sniffed;
  if (expected === found) return true;
  if (isZipBased(expected) && isZipBased(found)) return true;
  if (isCfbBased(expected) && isCfbBased(found)) return true;
  // Text declared as one text format and sniffed as another is still text: nothing to refuse.
  return isTextual(expected) && isTextual(found);
}

/**
 * Whether the first bytes of a file are consistent with its declared MIME type: any format
 * file-type recognises must be the declared one or of its family; bytes it cannot recognise
 * refute only the types it always recognises. Generic types admit any bytes.
 */
export async function contentMatchesType(mimeType: string, head: Uint8Array): Promise<boolean> {
  const declared = mimeEssence(mimeType);
  if (genericTypes.has(declared) || isTextAsText(declared, head)) return true;
  const sniffed = await sniffMimeType(head);
  if (sniffed === undefined) return !alwaysRecognised.has(aliases[declared] ?? declared);
  return admits(declared, sniffed);
}

/**
 * Types that say nothing about the bytes. A PUT without Content-Type makes S3 store
 * `binary/octet-stream`; browsers send `application/octet-stream` for files they cannot type.
 */
const genericTypes = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/** A type that says what the bytes are: given, and not generic. */
export function isSpecificType(mimeType: string | undefined): mimeType is string {
  return mimeType !== undefined && !genericTypes.has(mimeEssence(mimeType));
}

/** Formats whose extension names them more precisely than their signature (docx, xlsx, odt, epub are zips). */
const containerTypes = new Set(['application/zip', 'application/x-cfb']);

let registry: Promise<{ getType(extension: string): string | null }> | undefined;

/**
 * The `mime` package's registry, loaded on first use: building its tables costs tens of
 * milliseconds, and only saves of untyped uploads need it, so no other cold start pays.
 */
function mimeRegistry() {
  return (registry ??= import('mime').then((module) => module.default));
}

/** The type the extension names (a maintained registry, not a table of ours), if the name has one. */
export async function typeOfFilename(filename: string): Promise<string | undefined> {
  const dot = filename.lastIndexOf('.');
  if (dot <= 0 || dot === filename.length - 1) return undefined;
  return (await mimeRegistry()).getType(filename.slice(dot + 1)) ?? undefined;
}

/**
 * The type a saved version gets. The stored object's type (signed into the upload URL, or
 * sent on an untyped PUT) wins, then the type given at save; generic types count as none.
 * An untyped file is typed by its bytes, else by its extension unless the bytes refute it,
 * else it stays application/octet-stream.
 */
export async function resolveMimeType(input: {
  stored: string | undefined;
  declared: string | undefined;
  filename: string;
  head: Uint8Array;
}): Promise<string> {
  if (isSpecificType(input.stored)) return input.stored;
  if (isSpecificType(input.declared)) return input.declared;
  const [sniffed, named] = await Promise.all([sniffMimeType(input.head), typeOfFilename(input.filename)]);
  const namesBetter = !sniffed || containerTypes.has(sniffed) || isTextAsText(named ?? '', input.head);
  if (named && namesBetter && (await contentMatchesType(named, input.head))) return named;
  return sniffed ?? 'application/octet-stream';
}

/** Raster image types: browsers only ever draw them. SVG is not one: it is a document that runs script. */
const rasterImages = new Set([
  'image/apng',
  'image/avif',
  'image/bmp',
  'image/gif',
  'image/heic',
  'image/heif',
  'image/jpeg',
  'image/jxl',
  'image/png',
  'image/tiff',
  'image/vnd.microsoft.icon',
  'image/webp',
  'image/x-icon',
  'image/x-ms-bmp',
]);

/**
 * Whether a browser can show the type inline, on the bucket's origin, without running anything
 * in it: raster images, PDF, plain text, audio and video. Everything else (HTML, SVG, XML,
 * JavaScript, unknown types) is served as an attachment even when asked for inline.
 */
export function rendersSafelyInline(mimeType: string): boolean {
  const essence = mimeEssence(mimeType);
  if (essence.includes('xml')) return false;
  return (
    rasterImages.has(essence) ||
    essence === 'application/pdf' ||
    essence === 'text/plain' ||
    /^(audio|video)\/[\w.+-]+$/.test(essence)
  );
}

/**
 * Whether an allow-list of types admits `mimeType` (parameters and case ignored). Entries are
 * types (`application/pdf`) or a top-level type with a wildcard (`image/*`, `*\/*`); no list
 * admits every type.
 */
export function isAllowedType(allowed: readonly string[] | undefined, mimeType: string): boolean {
  if (allowed === undefined) return true;
  const essence = mimeEssence(mimeType);
  const [top] = essence.split('/');
  return allowed.some((pattern) => {
    const wanted = mimeEssence(pattern);
    return wanted === '*/*' || wanted === essence || (wanted.endsWith('/*') && wanted.slice(0, -2) === top);
  });
}

/** `image/*`, `application/pdf`, `*\/*`: what an allow-list entry may be. */
export const allowedTypePattern = /^(\*\/\*|[a-z0-9][\w!#$&^.+-]*\/(\*|[a-z0-9][\w!#$&^.+-]*))$/i;
