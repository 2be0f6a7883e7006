import { httpHandler } from '../http/handler';
import { uploadIdPath } from '../http/schemas';
import { fileService } from '../wiring';

/** listUploadParts: the parts S3 holds of a multipart upload, so a client resumes with the rest. */
export const handler = httpHandler('listUploadParts', async (request) => {
  const { upload_id } = request.path(uploadIdPath);
  return { status: 200, body: await fileService().listUploadParts(request.caller, upload_id) };
});
