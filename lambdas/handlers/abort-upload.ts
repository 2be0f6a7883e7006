import { httpHandler } from '../http/handler';
import { uploadIdPath } from '../http/schemas';
import { fileService } from '../wiring';

/** abortUpload: a multipart upload is given up; S3 frees its parts. */
export const handler = httpHandler('abortUpload', async (request) => {
  const { upload_id } = request.path(uploadIdPath);
  await fileService().abortUpload(request.caller, upload_id);
  return { status: 204 };
});
