import { httpHandler } from '../http/handler';
import { fileIdPath } from '../http/schemas';
import { tableOnlyFileService } from '../wiring-table-only';

/** getFile: the file entity with its versions, newest first, and its ETag for If-Match. */
export const handler = httpHandler('getFile', async (request) => {
  const { id } = request.path(fileIdPath);
  const { entity, etag } = await tableOnlyFileService().getTagged(request.caller, id);
  return { status: 200, body: entity, headers: { etag } };
});
