import { httpHandler } from '../http/handler';
import { copyBody, fileIdPath } from '../http/schemas';
import { metadataPatchOf } from '../http/metadata-patch';
import { fileService } from '../wiring';

/** The route's one segment `<id>:copy`: API Gateway routes a path variable as a whole segment. */
const copySuffix = ':copy';

/**
 * copyFile (POST /v2/files/{id}:copy): a new file from one version of a file, or with
 * `file_entity_id` a new version of another file, copied inside the bucket.
 */
export const handler = httpHandler('copyFile', async (request) => {
  const { id: segment } = request.path(fileIdPath);
  if (!segment.endsWith(copySuffix)) {
    // Any other POST /v2/files/<segment> has no route: answered as API Gateway answers one.
    return { status: 404, body: { message: 'Not Found' } };
  }
  const body = request.optionalBody(copyBody) ?? {};
  const { entity, created } = await fileService('write').copy(request.caller, segment.slice(0, -copySuffix.length), {
    version: body.version ?? 0,
    ...(body.file_entity_id !== undefined ? { file_entity_id: body.file_entity_id } : {}),
    // The copy's own metadata, named as a metadata update names it.
    ...metadataPatchOf(body),
    ...(body.access !== undefined ? { access: body.access } : {}),
  });
  request.metric('bytesSaved', 'Bytes', entity.versions[0]?.size_bytes ?? entity.size_bytes);
  return { status: created ? 201 : 200, body: entity };
});
