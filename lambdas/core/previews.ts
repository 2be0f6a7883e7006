import { createHash } from 'node:crypto';
import { BadRequestError, ForbiddenError, NotFoundError, UnprocessableError, UnsupportedMediaTypeError } from './errors';
import { findViewableFile } from './file-lookup';
import { sniffMimeType } from './file-types';
import { isUuid, previewKey } from './keys';
import type { Caller, FileRecord, FileVersion, S3Ref } from './model';
import { resolveOwnObject } from './own-objects';
import type { FileRepository, ObjectStore } from './ports';
import { maxOrgIdLength } from './public-files';

/**
 * Thumbnails of files (epilot's previewFile): the version's bytes rendered into a box of at
 * most 2,048 pixels a side, kept in the bucket under `previews/` and served from there the
 * next time. A version never changes, so a rendered size of it never does either: its ETag
 * is known before anything is read, and a client that has it gets a 304 at the cost of two
 * table reads.
 */

export const maxPreviewSide = 2048;
/** The box of a preview asked for without `w` or `h`: the one rendered ahead of time. */
export const defaultPreviewSide = 300;
/**
 * Bumped whenever rendering changes what it makes for the same bytes and size: it is part of
 * every ETag, so clients and the cache stop reusing older renders.
 */
const renderVersion = 1;
/** Lambda answers at most 6 MB, base64 included: a bigger preview is redirected to instead. */
export const maxInlinePreviewBytes = 4 * 1024 * 1024;

/** The box a preview fits in, its aspect ratio kept: a side left out follows from the other. */
export interface PreviewBox {
  width?: number;
  height?: number;
}

export interface RenderedPreview {
  bytes: Uint8Array;
  contentType: 'image/png' | 'image/jpeg';
}

/**
 * Turns a file's bytes into a preview. Refuses what it cannot render with
 * UnsupportedMediaTypeError (415) and what breaks its bounds (too many pixels, too long) with
 * UnprocessableError (422), before rendering whenever it can tell.
 */
export interface PreviewRenderer {
  supports(mimeType: string): boolean;
  render(source: Uint8Array, mimeType: string, box: PreviewBox): Promise<RenderedPreview>;
}

export interface PreviewLimits {
  /** A bigger source is refused (422) before a byte of it is read. */
  maxSourceBytes: number;
}

export type PreviewResult =
  | { kind: 'not-modified'; etag: string }
  | { kind: 'image'; etag: string; bytes: Uint8Array; contentType: string; cached: boolean }
  /** Too big to answer inline: a presigned URL of the kept preview. */
  | { kind: 'redirect'; etag: string; url: string };

export interface PreviewRequest {
  id: string;
  /** 0 for the latest, 1 for the one before, as downloadFile counts. */
  version: number;
  box: PreviewBox;
  /** The request's If-None-Match, as sent. */
  ifNoneMatch?: string;
}

/**
 * What rendering ahead of time did: made and kept the default preview, found it already kept
 * (a second delivery of the same event), or found no such file or version.
 */
export type PrerenderOutcome = 'rendered' | 'kept' | 'gone';

export class PreviewService {
  constructor(
    private readonly deps: {
      repository: FileRepository;
      store: ObjectStore;
      renderer: PreviewRenderer;
      limits: PreviewLimits;
    },
  ) {}

  /** A preview of a file the caller may view; any other file, another org's included, is a 404. */
  async preview(caller: Caller, request: PreviewRequest): Promise<PreviewResult> {
    return this.previewOf(await findViewableFile(this.deps.repository, caller, request.id), request);
  }

  /**
   * previewPublicFile, without a token: a `public-read` file of the org; a private one is a
   * 403 as getPublicFile answers, anything that names no active file a 404.
   */
  async publicPreview(org: string | undefined, request: PreviewRequest): Promise<PreviewResult> {
    if (org !== undefined && org.length > maxOrgIdLength) throw new BadRequestError(`org_id must be at most ${maxOrgIdLength} characters`);
    const record = org && isUuid(request.id) ? await this.deps.repository.get(org, request.id) : undefined;
    if (!record || record.status !== 'active') throw new NotFoundError('File not found');
    if (record.access_control !== 'public-read') throw new ForbiddenError('File is not publicly accessible');
    return this.previewOf(record, request);
  }

  /**
   * previewS3File: a preview of one of the caller's own objects by its s3ref. A saved version
   * is previewed (and kept) as previewFile does; an upload not saved yet is rendered from its
   * bytes, whose type they show themselves, and not kept: it expires with its upload.
   */
  async previewObject(caller: Caller, s3ref: S3Ref, box: PreviewBox, ifNoneMatch?: string): Promise<PreviewResult> {
    const own = await resolveOwnObject({ repository: this.deps.repository, bucket: this.deps.store.bucket }, caller, s3ref);
    const conditional = ifNoneMatch !== undefined ? { ifNoneMatch } : {};
    if (own.kind === 'version') return this.previewOf(own.record, { id: own.record.id, version: own.back, box, ...conditional });
    const source = await this.deps.store.inspect(own.key, this.deps.limits.maxSourceBytes);
    if (!source) throw new NotFoundError('No object of yours has this s3ref: the upload has not arrived, or has expired');
    const size = sizeName(box);
    const etag = tagOf(`${own.key}\n${source.etag}\n${size}`);
    if (matchesEtag(ifNoneMatch, etag)) return { kind: 'not-modified', etag };
    if (source.size > this.deps.limits.maxSourceBytes) throw tooBig(source.size, this.deps.limits.maxSourceBytes);
    const mimeType = (await sniffMimeType(source.start)) ?? source.contentType ?? '';
    if (!this.deps.renderer.supports(mimeType)) throw unsupported(mimeType);
    const rendered = await this.deps.renderer.render(source.start, mimeType, effectiveBox(box));
    if (rendered.bytes.length > maxInlinePreviewBytes) throw new UnprocessableError('This preview is too big to answer: ask for a smaller w or h');
    return { kind: 'image', etag, bytes: rendered.bytes, contentType: rendered.contentType, cached: false };
  }

  /** Whether files of this type have previews at all. */
  supports(mimeType: string): boolean {
    return this.deps.renderer.supports(mimeType);
  }

  /**
   * Renders and keeps the default preview of a version (1 for the first) of an active file,
   * through the same path as a request without `w` or `h`, so that request is then a cache
   * hit. A file that is gone or being deleted, or a version it no longer has, gets nothing.
   * Refusals (415, 422) are thrown as previewFile would answer them; a storage failure is
   * thrown as it came.
   */
  async prerender(org: string, fileId: string, version: number): Promise<PrerenderOutcome> {
    const record = await this.deps.repository.get(org, fileId);
    if (!record || record.status !== 'active' || version < 1 || version > record.latest_version) return 'gone';
    try {
      const result = await this.previewOf(record, { id: fileId, version: record.latest_version - version, box: {} });
      return result.kind === 'image' && result.cached ? 'kept' : 'rendered';
    } catch (error) {
      if (error instanceof NotFoundError) return 'gone';
      throw error;
    }
  }

  /** A preview of a version of this file, found and allowed by the caller. */
  async previewOf(record: FileRecord, request: PreviewRequest): Promise<PreviewResult> {
    const number = record.latest_version - request.version;
    const version = number >= 1 ? await this.deps.repository.getVersion(record.org, record.id, number) : undefined;
    if (!version) {
      throw new NotFoundError(`Version ${request.version} not found: file ${record.id} has ${record.latest_version} version(s), 0 is the latest`);
    }
    const size = sizeName(request.box);
    const etag = previewEtag(record.id, version, size);
    if (matchesEtag(request.ifNoneMatch, etag)) return { kind: 'not-modified', etag };
    if (!this.deps.renderer.supports(version.mime_type)) throw unsupported(version.mime_type);
    const key = previewKey(record.org, record.id, version.version, size);
    const kept = await this.deps.store.inspect(key, maxInlinePreviewBytes);
    if (kept && kept.size > 0) {
      if (kept.size > maxInlinePreviewBytes) return { kind: 'redirect', etag, url: await this.presign(key, kept.contentType) };
      return { kind: 'image', etag, bytes: kept.start, contentType: kept.contentType ?? 'image/png', cached: true };
    }
    const rendered = await this.render(version, effectiveBox(request.box));
    // Recorded before it is written: a delete of the file that lists the record deletes the object.
    await this.deps.repository.putPreview(record.org, record.id, { version: version.version, size, key });
    await this.deps.store.putObject(key, rendered.bytes, rendered.contentType);
    if (rendered.bytes.length > maxInlinePreviewBytes) return { kind: 'redirect', etag, url: await this.presign(key, rendered.contentType) };
    return { kind: 'image', etag, bytes: rendered.bytes, contentType: rendered.contentType, cached: false };
  }

  private async render(version: FileVersion, box: PreviewBox): Promise<RenderedPreview> {
    if (version.size_bytes > this.deps.limits.maxSourceBytes) throw tooBig(version.size_bytes, this.deps.limits.maxSourceBytes);
    const source = await this.deps.store.inspect(version.s3ref.key, Math.max(1, version.size_bytes));
    if (!source) throw new Error(`the bytes of version ${version.version} are missing from the bucket`);
    return this.deps.renderer.render(source.start, version.mime_type, box);
  }

  private presign(key: string, contentType: string | undefined): Promise<string> {
    return this.deps.store.presignDownload(key, { filename: 'preview', contentType: contentType ?? 'image/png', attachment: false });
  }
}

/** The box as it names the kept preview: `<w>x<h>`, `-` for a side left out. */
export function sizeName(box: PreviewBox): string {
  if (box.width === undefined && box.height === undefined) return `${defaultPreviewSide}x${defaultPreviewSide}`;
  return `${box.width ?? '-'}x${box.height ?? '-'}`;
}

/** The box actually rendered: the default when neither side is given. */
export function effectiveBox(box: PreviewBox): PreviewBox {
  return box.width === undefined && box.height === undefined ? { width: defaultPreviewSide, height: defaultPreviewSide } : box;
}

function previewEtag(id: string, version: FileVersion, size: string): string {
  return tagOf(`${id}\n${version.version}\n${version.s3ref.key}\n${size}`);
}

function tagOf(names: string): string {
  return `"${createHash('sha256').update(`${renderVersion}\n${names}`).digest('base64url').slice(0, 32)}"`;
}

function unsupported(mimeType: string): UnsupportedMediaTypeError {
  return new UnsupportedMediaTypeError(`No preview for ${mimeType || 'files without a type'}: images (PNG, JPEG, GIF, WebP, AVIF, TIFF) and PDFs have one`);
}

function tooBig(size: number, max: number): UnprocessableError {
  return new UnprocessableError(`This file is too big to preview: ${size} bytes, previews are made of files up to ${max} bytes`);
}

/** If-None-Match as HTTP reads it: `*`, or a list of tags compared weakly. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}
