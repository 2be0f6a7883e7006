import { httpHandler } from '../http/handler';
import { conditional, previewBox, previewReply } from '../http/preview-reply';
import { fileIdPath, previewQuery } from '../http/schemas';
import { previewService } from '../wiring-previews';

/** previewFile: a PNG or JPEG thumbnail of one version (0 = latest), fitted into `w` × `h`. */
export const handler = httpHandler('previewFile', async (request) => {
  const { id } = request.path(fileIdPath);
  const { version, w, h } = request.query(previewQuery);
  const result = await previewService().preview(request.caller, { id, version, box: previewBox({ w, h }), ...conditional(request.header('if-none-match')) });
  return previewReply(result, 'private');
});
