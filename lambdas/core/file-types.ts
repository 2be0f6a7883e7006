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

/** Leading bytes that formats with a fixed signature always start with. */
const signatures: Record<string, ReadonlyArray<ReadonlyArray<number | null>>> = {
  'image/png': [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  'image/jpeg': [[0xff, 0xd8, 0xff]],
  'image/gif': [[0x47, 0x49, 0x46, 0x38]],
  'image/webp': [[0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50]],
  'application/pdf': [[0x25, 0x50, 0x44, 0x46, 0x2d]],
  'application/zip': [
    [0x50, 0x4b, 0x03, 0x04],
    [0x50, 0x4b, 0x05, 0x06],
  ],
  // Magic number and compression method: every gzip member is deflate (8).
  'application/gzip': [[0x1f, 0x8b, 0x08]],
};

/** How many leading bytes `contentMatchesType` needs to see. */
export const sniffLength = 16;

/**
 * Whether the first bytes of a file are consistent with its declared MIME type. Only types
 * with a fixed signature can be refuted; for every other type the answer is yes.
 */
export function contentMatchesType(mimeType: string, head: Uint8Array): boolean {
  const expected = signatures[mimeEssence(mimeType)];
  if (!expected) return true;
  return expected.some((signature) =>
    signature.every((byte, index) => byte === null || head[index] === byte),
  );
}

/** The first type whose signature the bytes carry, if any. */
export function sniffMimeType(head: Uint8Array): string | undefined {
  return Object.keys(signatures).find((type) => contentMatchesType(type, head));
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
const containerTypes = new Set(['application/zip']);

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
  const sniffed = sniffMimeType(input.head);
  const named = await typeOfFilename(input.filename);
  if (named && contentMatchesType(named, input.head) && (!sniffed || containerTypes.has(sniffed))) return named;
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
