import { UnprocessableError, UnsupportedMediaTypeError } from './errors';
import { eventSource, type FileEventType } from './events';
import type { PrerenderOutcome, PreviewService } from './previews';

/**
 * The default preview of an image or PDF, rendered once its version is committed: the bus
 * hands FileCreated and FileVersionAdded to a function that renders it through previewFile's
 * own path, so a client's first request for it is usually a cache hit.
 */

/** The events that make a preview ahead of time: a new file, a new version. */
export const previewAheadEventTypes: readonly FileEventType[] = ['FileCreated', 'FileVersionAdded'];

/** What the function needs of an event: whose version, and of which type. */
export interface PreviewAheadRequest {
  org: string;
  fileId: string;
  version: number;
  mimeType: string;
}

/** What became of one event; only a thrown error makes the event be delivered again. */
export type PreviewAheadOutcome =
  | { outcome: PrerenderOutcome; request: PreviewAheadRequest }
  | { outcome: 'ignored'; reason: string }
  | { outcome: 'unsupported'; request: PreviewAheadRequest }
  | { outcome: 'refused'; request: PreviewAheadRequest; status: number; reason: string };

/**
 * The request an EventBridge event carries, or why it carries none: another source or detail
 * type, or a detail without the org, the file id or a version. None of these gets better when
 * delivered again, so they are ignored, never thrown.
 */
export function previewAheadRequestOf(event: unknown): PreviewAheadRequest | { ignored: string } {
  if (typeof event !== 'object' || event === null) return { ignored: 'not an event' };
  const { source, 'detail-type': detailType, detail } = event as Record<string, unknown>;
  if (source !== eventSource) return { ignored: `source ${String(source)}` };
  if (!previewAheadEventTypes.includes(detailType as FileEventType)) return { ignored: `detail type ${String(detailType)}` };
  if (typeof detail !== 'object' || detail === null) return { ignored: 'no detail' };
  const { org, file_id: fileId, version, mime_type: mimeType } = detail as Record<string, unknown>;
  if (typeof org !== 'string' || org === '' || typeof fileId !== 'string' || fileId === '') return { ignored: 'no org or file id' };
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) return { ignored: 'no version' };
  return { org, fileId, version, mimeType: typeof mimeType === 'string' ? mimeType : '' };
}

/**
 * Renders the default preview an event asks for. Types without previews are skipped before
 * anything is read; refusals (415, 422: a damaged image, too many pixels, a protected PDF)
 * are final and returned; a file deleted meanwhile is nothing to do. Anything else (a storage
 * failure, a render that crashed) is thrown, so the event is delivered again.
 */
export async function previewAhead(
  previews: Pick<PreviewService, 'supports' | 'prerender'>,
  event: unknown,
): Promise<PreviewAheadOutcome> {
  const request = previewAheadRequestOf(event);
  if ('ignored' in request) return { outcome: 'ignored', reason: request.ignored };
  if (!previews.supports(request.mimeType)) return { outcome: 'unsupported', request };
  try {
    return { outcome: await previews.prerender(request.org, request.fileId, request.version), request };
  } catch (error) {
    if (error instanceof UnsupportedMediaTypeError || error instanceof UnprocessableError) {
      return { outcome: 'refused', request, status: error.status, reason: error.message };
    }
    throw error;
  }
}
