import { httpHandler } from '../http/handler';
import { signRequestBody } from '../http/schemas';
import { fileService } from '../wiring';

/**
 * signUploadRequest: a presigned URL for one S3 call of the caller's own upload, answered as
 * Uppy's `signRequest` expects it (`{url, key?, headers?}`).
 */
export const handler = httpHandler('signUploadRequest', async (request) => {
  const { expiresIn: _ignored, ...body } = request.body(signRequestBody);
  const signed = await fileService().signUploadRequest(request.caller, {
    method: body.method,
    key: body.key,
    ...(body.uploadId !== undefined ? { uploadId: body.uploadId } : {}),
    ...(body.partNumber !== undefined ? { partNumber: body.partNumber } : {}),
    ...(body.contentType !== undefined ? { contentType: body.contentType } : {}),
  });
  return { status: 200, body: signed };
});
