import { SharpPreviewRenderer } from './adapters/sharp-renderer';
import { readConfig } from './config';
import { PreviewService } from './core/previews';
import { createAdapters } from './wiring';

/**
 * The previews' service: only the functions that render load sharp and its native library.
 * A render is given 10 s, well inside the function's 29 s with the reads and the write.
 */
let service: PreviewService | undefined;

export function previewService(): PreviewService {
  if (!service) {
    const config = readConfig();
    service = new PreviewService({
      ...createAdapters(config, 'write'),
      renderer: new SharpPreviewRenderer({ maxInputPixels: config.previewMaxInputPixels, timeoutMs: 10_000 }),
      limits: { maxSourceBytes: config.previewMaxSourceBytes },
    });
  }
  return service;
}
