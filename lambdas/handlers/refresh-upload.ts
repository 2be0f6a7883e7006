import { httpHandler } from '../http/handler';
import { refreshBody } from '../http/schemas';
import { fileService } from '../wiring';

/** refreshUpload: a new URL (or form) for an unsaved upload, signed as the first one was. */
export const handler = httpHandler('refreshUpload', async (request) => {
  const { s3ref } = request.body(refreshBody);
  return { status: 200, body: await fileService().refreshUpload(request.caller, s3ref) };
});
