import { previewAhead } from '../core/preview-ahead';
import { createLogger } from '../http/logger';
import { previewService } from '../wiring-previews';

const logger = createLogger();

/**
 * renderPreviews: the target of the bus rule for FileCreated and FileVersionAdded. It renders
 * the default preview (300 × 300) of the new version and keeps it, as previewFile would, so
 * the first request for it is served from the bucket. Types without previews and refused
 * files are logged and done with; a thrown error (storage failing) has the event delivered
 * again, and once retries run out it lands in the dead-letter queue.
 */
export async function handler(event: unknown): Promise<void> {
  try {
    const result = await previewAhead(previewService(), event);
    if (result.outcome === 'ignored') logger.warn('preview ahead: event ignored', { reason: result.reason });
    else if (result.outcome === 'refused') logger.warn('preview ahead: refused', { ...result.request, status: result.status, reason: result.reason });
    else logger.info('preview ahead', { ...result.request, outcome: result.outcome });
  } catch (error) {
    logger.error('preview ahead failed', { error: String(error) });
    throw error;
  }
}
