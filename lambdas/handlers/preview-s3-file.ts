import { httpHandler } from '../http/handler';
import { conditional, previewBox, previewReply } from '../http/preview-reply';
import { previewBoxQuery, previewS3Body, previewS3Query } from '../http/schemas';
import { previewService } from '../wiring-previews';

/**
 * previewS3File: a thumbnail of one of the caller's own objects by s3ref, given as the POST
 * body or (GET, for an `<img>`) in the query.
 */
export const handler = httpHandler('previewS3File', async (request) => {
  const { s3ref, box } =
    request.method === 'GET'
      ? (({ bucket, key, w, h }) => ({ s3ref: { bucket, key }, box: previewBox({ w, h }) }))(request.query(previewS3Query))
      : { s3ref: request.body(previewS3Body), box: previewBox(request.query(previewBoxQuery)) };
  return previewReply(await previewService().previewObject(request.caller, s3ref, box, conditional(request.header('if-none-match')).ifNoneMatch), 'private');
});
