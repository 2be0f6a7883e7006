import sharp from 'sharp';
import { makePdf } from '../../test/support/pdf';
import type { BenchContext } from './context';
import { apiEvent, invoke } from './events';
import { pdf, putObject, type TicketBody } from './ops';
import { percentile, round } from './stats';

/** What `preview_p50_ms` holds, each the p50 ms of previewFile called in-process. */
export const previewCases = [
  /** A 12-megapixel JPEG at w=300, the first request of a file: read, decoded, resized, kept. */
  'jpeg_12mp_300px_uncached',
  /** The same request again: the kept preview read back. */
  'jpeg_12mp_300px_cached',
  /** The first page of a 20-page PDF at w=300, the first request of a file (MuPDF's worker warm). */
  'pdf_20_pages_first_page_300px_uncached',
  /** The JPEG's request once more with its ETag in If-None-Match: two table reads, no bytes. */
  'not_modified_304',
] as const;

export type PreviewCase = (typeof previewCases)[number];

export interface PreviewSamples {
  /** Wall ms of the preview handler, in-process, per case. */
  samples: Record<PreviewCase, number[]>;
  /** Why the JPEG or the PDF cases have fewer samples than asked, when they do. */
  errors: Partial<Record<'jpeg' | 'pdf', string>>;
  /** Sizes of the sources previewed, in bytes. */
  jpegBytes: number;
  pdfBytes: number;
  /**
   * The first PDF preview of the process, untimed in the cases: it starts MuPDF's worker and
   * compiles its WebAssembly, as the first PDF of a fresh Lambda environment does.
   */
  pdfColdMs?: number;
}

export const photo = { width: 4000, height: 3000 } as const;
const jpeg = 'image/jpeg';
const previewWidth = '300';

/**
 * A photo-like JPEG: a colour gradient with a diagonal wave and per-pixel noise, so decoding
 * it costs what a camera picture's does (a flat colour decodes and compresses to nothing).
 * The noise is seeded: the same size always gives the same bytes.
 */
export async function makePhoto(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 0x2545f491;
  const noise = () => {
    // xorshift32: cheap, and good enough for sensor-like grain
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) % 41) - 20;
  };
  let offset = 0;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const wave = 40 * Math.sin((x + y) / 37);
      pixels[offset] = clamp((255 * x) / width + wave + noise());
      pixels[offset + 1] = clamp((255 * y) / height - wave + noise());
      pixels[offset + 2] = clamp(128 + wave + noise());
      offset += 3;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

const clamp = (value: number) => Math.max(0, Math.min(255, Math.round(value)));

/**
 * The JPEG with a comment segment (COM) saying `label` right after its start marker: the
 * same picture in other bytes, so no sample can reuse anything kept for another (libvips
 * caches operations by their input).
 */
export function labelledJpeg(bytes: Buffer, label: string): Buffer {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('labelledJpeg: not a JPEG (no start-of-image marker)');
  const text = Buffer.from(label, 'latin1');
  if (text.length > 0xffff - 2) throw new Error('labelledJpeg: label too long for one segment');
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([bytes.subarray(0, 2), segment, text, bytes.subarray(2)]);
}

/** A new file of these bytes: upload ticket, PUT, save; returns its id. */
async function saveNew(context: BenchContext, filename: string, mimeType: string, bytes: Uint8Array): Promise<string> {
  const ticket = await invoke<TicketBody>(
    context.handlers['upload-file'],
    apiEvent({ method: 'POST', route: '/v2/files/upload', body: { filename, mime_type: mimeType }, claims: context.claims }),
    [201],
  );
  await putObject(ticket.upload_url, bytes, mimeType);
  const entity = await invoke<{ _id: string }>(
    context.handlers['save-file'],
    apiEvent({ method: 'POST', route: '/v2/files', body: { s3ref: ticket.s3ref }, claims: context.claims }),
    [201],
  );
  return entity._id;
}

async function deleteFile(context: BenchContext, id: string): Promise<void> {
  await invoke(context.handlers['delete-file'], apiEvent({ method: 'DELETE', route: '/v2/files/{id}', pathParameters: { id }, claims: context.claims }), [200]);
}

/**
 * GET /v1/files/{id}/preview?w=300, timed into `samples`; throws unless the answer has the
 * status and the x-preview-cache header expected, so a sample is never of another path.
 */
async function timedPreview(
  context: BenchContext,
  id: string,
  expected: { status: 200 | 304; cache?: 'hit' | 'miss' },
  samples: number[],
  headers?: Record<string, string>,
): Promise<{ etag: string; ms: number }> {
  const event = apiEvent({
    method: 'GET',
    route: '/v1/files/{id}/preview',
    pathParameters: { id },
    query: { w: previewWidth },
    ...(headers ? { headers } : {}),
    claims: context.claims,
  });
  const started = performance.now();
  const result = await context.handlers['preview-file'](event, { awsRequestId: event.requestContext.requestId });
  const ms = performance.now() - started;
  const status = result.statusCode ?? 200;
  const cache = result.headers?.['x-preview-cache'];
  if (status !== expected.status || (expected.cache !== undefined && cache !== expected.cache)) {
    const body = result.isBase64Encoded ? `(${String(result.body).length} base64 chars)` : String(result.body).slice(0, 300);
    throw new Error(`preview of ${id}: expected ${expected.status} ${expected.cache ?? ''}, got ${status} ${String(cache ?? '')} ${body}`);
  }
  samples.push(ms);
  return { etag: String(result.headers?.etag ?? ''), ms };
}

/**
 * previewFile on a new file for every sample, so each first request truly renders: the
 * 12 MP JPEG (its bytes labelled per sample) previewed, previewed again (kept copy), asked
 * with its ETag (304); a 20-page PDF (its text numbered per sample) previewed once. Each file
 * is deleted, its previews with it, untimed. The first `warmup` of each are not recorded
 * (sharp and MuPDF loaded, their caches and the JIT warm).
 */
export async function measurePreviews(context: BenchContext, options: { samples: number; warmup: number }): Promise<PreviewSamples> {
  const photoBytes = await makePhoto(photo.width, photo.height);
  const result: PreviewSamples = {
    samples: { jpeg_12mp_300px_uncached: [], jpeg_12mp_300px_cached: [], pdf_20_pages_first_page_300px_uncached: [], not_modified_304: [] },
    errors: {},
    jpegBytes: photoBytes.length,
    pdfBytes: 0,
  };
  const scratch: PreviewSamples['samples'] = structuredClone(result.samples);

  try {
    for (let i = 0; i < options.warmup + options.samples; i += 1) {
      const into = i < options.warmup ? scratch : result.samples;
      const id = await saveNew(context, 'photo.jpg', jpeg, labelledJpeg(photoBytes, `bench sample ${i} ${Date.now()}`));
      const { etag } = await timedPreview(context, id, { status: 200, cache: 'miss' }, into.jpeg_12mp_300px_uncached);
      await timedPreview(context, id, { status: 200, cache: 'hit' }, into.jpeg_12mp_300px_cached);
      await timedPreview(context, id, { status: 304 }, into.not_modified_304, { 'if-none-match': etag });
      await deleteFile(context, id);
    }
  } catch (error) {
    result.errors.jpeg = error instanceof Error ? error.message : String(error);
  }

  try {
    for (let i = 0; i < options.warmup + options.samples; i += 1) {
      const into = i < options.warmup ? scratch : result.samples;
      const document = await makePdf({ pages: 20, text: `Bench sample ${i}, page` });
      result.pdfBytes = document.length;
      const id = await saveNew(context, 'document.pdf', pdf, document);
      const { ms } = await timedPreview(context, id, { status: 200, cache: 'miss' }, into.pdf_20_pages_first_page_300px_uncached);
      if (i === 0) result.pdfColdMs = ms;
      await deleteFile(context, id);
    }
  } catch (error) {
    result.errors.pdf = error instanceof Error ? error.message : String(error);
  }
  return result;
}

/** `preview_p50_ms` of bench/results.json: p50 ms per case, null when a case has no sample. */
export function previewResults(previews: PreviewSamples): Record<PreviewCase, number | null> {
  return Object.fromEntries(
    previewCases.map((name) => {
      const samples = previews.samples[name];
      return [name, samples.length > 0 ? round(percentile(samples, 50), 1) : null];
    }),
  ) as Record<PreviewCase, number | null>;
}
