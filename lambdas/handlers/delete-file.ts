import { httpHandler } from '../http/handler';
import { fileIdPath } from '../http/schemas';
import { fileService } from '../wiring';

/** deleteFile: the entity and the bytes of every version; answers with what was deleted. */
export const handler = httpHandler('deleteFile', async (request) => {
  const { id } = request.path(fileIdPath);
  return { status: 200, body: await fileService('write').delete(request.caller, id) };
});
