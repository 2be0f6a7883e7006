import type { PreviewBox, PreviewResult } from '../core/previews';
import type { Reply } from './handler';
import { redirectTo } from './redirect';

/**
 * A preview as the HTTP answer: the image itself, or 304 for a client that has it. Browsers
 * may reuse it for five minutes before they ask again with its ETag; a private file's preview
 * is never kept by a shared cache (access to it can be withdrawn).
 */
export function previewReply(result: PreviewResult, audience: 'private' | 'public'): Reply {
  const caching = { etag: result.etag, 'cache-control': `${audience}, max-age=300` };
  switch (result.kind) {
    case 'not-modified':
      return { status: 304, headers: caching };
    case 'redirect':
      return redirectTo(result.url);
    case 'image':
      return {
        status: 200,
        bytes: result.bytes,
        headers: { ...caching, 'content-type': result.contentType, 'x-preview-cache': result.cached ? 'hit' : 'miss' },
      };
  }
}

/** The box of `w` and `h` as the query gave them (either, both or neither). */
export function previewBox(query: { w: number | undefined; h: number | undefined }): PreviewBox {
  return { ...(query.w !== undefined ? { width: query.w } : {}), ...(query.h !== undefined ? { height: query.h } : {}) };
}

/** The request's If-None-Match, if it sent one. */
export function conditional(header: string | undefined): { ifNoneMatch?: string } {
  return header !== undefined ? { ifNoneMatch: header } : {};
}
