import { httpHandler } from '../http/handler';
import { uploadBody, uploadQuery } from '../http/schemas';
import { fileService } from '../wiring';

/**
 * uploadFile / uploadFileV2: a presigned PUT URL (or, with `upload_method: "post"`, a presigned
 * POST form) for a new temp object, typed or untyped.
 */
export const handler = httpHandler('uploadFile', async (request) => {
  const body = request.body(uploadBody);
  const { file_entity_id } = request.query(uploadQuery);
  const ticket = await fileService().createUpload(request.caller, {
    filename: body.filename,
    ...(body.mime_type ? { mime_type: body.mime_type } : {}),
    ...(body.size_bytes !== undefined ? { size_bytes: body.size_bytes } : {}),
    ...(body.upload_method ? { upload_method: body.upload_method } : {}),
    ...(body.checksum_sha256 ? { checksum_sha256: body.checksum_sha256 } : {}),
    ...(body.checksum_algorithm ? { checksum_algorithm: body.checksum_algorithm } : {}),
    ...(file_entity_id ? { file_entity_id } : {}),
  });
  request.metric('uploads', 'Count', 1);
  return { status: 201, body: ticket };
});
