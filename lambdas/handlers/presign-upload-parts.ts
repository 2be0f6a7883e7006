import { httpHandler } from '../http/handler';
import { partNumbersBody, uploadIdPath } from '../http/schemas';
import { fileService } from '../wiring';

/** presignUploadParts: PUT URLs for parts of one of the caller's org's multipart uploads. */
export const handler = httpHandler('presignUploadParts', async (request) => {
  const { upload_id } = request.path(uploadIdPath);
  const { part_numbers, checksums_sha256 } = request.body(partNumbersBody);
  return { status: 200, body: await fileService().presignParts(request.caller, upload_id, part_numbers, checksums_sha256) };
});
