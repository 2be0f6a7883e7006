import { PdfRenderError, renderPdfFirstPage } from './adapters/pdf-render';
import { SharpPreviewRenderer } from './adapters/sharp-renderer';
import { readConfig } from './config';
import { UnprocessableError } from './core/errors';
import { PreviewService } from './core/previews';
import { createAdapters } from './wiring';

/**
 * The previews' service: only the functions that render load sharp (libvips) and MuPDF. A
 * render is given 10 s, well inside the function's 29 s with the reads and the write, and a
 * PDF at most 1 GiB more of the function's 1,536 MB, so a hostile one is refused, not fatal.
 */
const renderTimeoutMs = 10_000;
const pdfMemoryBytes = 1024 * 1024 * 1024;

let service: PreviewService | undefined;

export function previewService(): PreviewService {
  if (!service) {
    const config = readConfig();
    service = new PreviewService({
      ...createAdapters(config, 'write'),
      renderer: new SharpPreviewRenderer({ maxInputPixels: config.previewMaxInputPixels, timeoutMs: renderTimeoutMs, renderPdf }),
      limits: { maxSourceBytes: config.previewMaxSourceBytes },
    });
  }
  return service;
}

async function renderPdf(source: Uint8Array, box: { maxWidth: number; maxHeight: number; timeoutMs: number }): Promise<Uint8Array> {
  try {
    return (await renderPdfFirstPage(source, { ...box, maxMemoryBytes: pdfMemoryBytes })).png;
  } catch (error) {
    if (!(error instanceof PdfRenderError)) throw error;
    throw new UnprocessableError(pdfRefusals[error.reason]);
  }
}

const pdfRefusals: Record<PdfRenderError['reason'], string> = {
  unreadable: 'This file could not be read as application/pdf: no preview',
  encrypted: 'This PDF is protected by a password: no preview',
  'too-large': 'This PDF takes too much memory to preview',
  timeout: 'This file took too long to preview',
};
