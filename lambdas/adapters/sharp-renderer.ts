import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { UnprocessableError, UnsupportedMediaTypeError } from '../core/errors';
import { maxPreviewSide } from '../core/previews';
import type { PreviewBox, PreviewRenderer, RenderedPreview } from '../core/previews';

/**
 * Renders previews of images with sharp (libvips): the first frame of a GIF or WebP, turned
 * as its EXIF orientation says, fitted inside the box and never enlarged. Images with an
 * alpha channel become PNGs, others JPEGs. The pixel count is read from the header and a
 * bigger image refused before it is decoded (a small file can declare billions of pixels);
 * rendering stops at the time budget. PDFs are handed to `renderPdf` when one is given.
 */

const imageTypes = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/tiff']);

export interface SharpRendererOptions {
  /** Width × height of the source, at most. */
  maxInputPixels: number;
  /** Rendering one preview takes at most this long. */
  timeoutMs: number;
  /** The first page of a PDF as an image that fits the box; without it PDFs have no preview. */
  renderPdf?: (source: Uint8Array, box: { maxWidth: number; maxHeight: number; timeoutMs: number }) => Promise<Uint8Array>;
}

export class SharpPreviewRenderer implements PreviewRenderer {
  constructor(private readonly options: SharpRendererOptions) {}

  supports(mimeType: string): boolean {
    return imageTypes.has(mimeType) || (mimeType === 'application/pdf' && this.options.renderPdf !== undefined);
  }

  async render(source: Uint8Array, mimeType: string, box: PreviewBox): Promise<RenderedPreview> {
    if (!this.supports(mimeType)) throw new UnsupportedMediaTypeError(`No preview for ${mimeType}`);
    const image = mimeType === 'application/pdf' && this.options.renderPdf ? await this.firstPage(source, box) : source;
    const header = await this.metadata(image, mimeType);
    const pixels = (header.width ?? 0) * (header.height ?? 0);
    if (pixels > this.options.maxInputPixels) {
      throw new UnprocessableError(
        `This image is too big to preview: ${header.width} × ${header.height} pixels, previews are made of images up to ${this.options.maxInputPixels} pixels`,
      );
    }
    const pipeline = sharp(image, { limitInputPixels: this.options.maxInputPixels, pages: 1, failOn: 'error' })
      .timeout({ seconds: Math.max(1, Math.ceil(this.options.timeoutMs / 1000)) })
      .rotate()
      .resize({
        ...(box.width !== undefined ? { width: box.width } : {}),
        ...(box.height !== undefined ? { height: box.height } : {}),
        fit: 'inside',
        withoutEnlargement: true,
      });
    const output = header.hasAlpha ? pipeline.png() : pipeline.jpeg({ quality: 80 });
    try {
      const bytes = await output.toBuffer();
      return { bytes, contentType: header.hasAlpha ? 'image/png' : 'image/jpeg' };
    } catch (error) {
      throw refusal(error, mimeType);
    }
  }

  private async metadata(image: Uint8Array, mimeType: string): Promise<Metadata> {
    try {
      // The header only: nothing is decoded yet.
      return await sharp(image, { limitInputPixels: false, pages: 1 }).metadata();
    } catch (error) {
      throw refusal(error, mimeType);
    }
  }

  private async firstPage(source: Uint8Array, box: PreviewBox): Promise<Uint8Array> {
    const render = this.options.renderPdf;
    if (!render) throw new UnsupportedMediaTypeError('No preview for application/pdf');
    // The page is rendered to fit the box already; sharp then only encodes it.
    return render(source, {
      maxWidth: box.width ?? maxPreviewSide,
      maxHeight: box.height ?? maxPreviewSide,
      timeoutMs: this.options.timeoutMs,
    });
  }
}

/** What sharp says of bytes it cannot render, as the client's answer. */
function refusal(error: unknown, mimeType: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout/i.test(message)) return new UnprocessableError('This file took too long to preview');
  if (/pixel limit/i.test(message)) return new UnprocessableError('This image has too many pixels to preview');
  return new UnprocessableError(`This file could not be read as ${mimeType}: no preview`);
}
