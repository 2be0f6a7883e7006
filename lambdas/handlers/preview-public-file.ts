import { publicHttpHandler } from '../http/handler';
import { conditional, previewBox, previewReply } from '../http/preview-reply';
import { fileIdPath, publicPreviewQuery } from '../http/schemas';
import { previewService } from '../wiring-previews';

/** previewPublicFile (no token): a thumbnail of a `public-read` file of the org. */
export const handler = publicHttpHandler('previewPublicFile', async (request) => {
  const { id } = request.path(fileIdPath);
  const { org_id, version, w, h } = request.query(publicPreviewQuery);
  const result = await previewService().publicPreview(org_id, { id, version, box: previewBox({ w, h }), ...conditional(request.header('if-none-match')) });
  return previewReply(result, 'public');
});
