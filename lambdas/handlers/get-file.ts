import { httpHandler } from '../http/handler';
import { fileIdPath } from '../http/schemas';
import { tableOnlyFileService } from '../wiring-table-only';

/** getFile: the file entity with its versions, newest first. */
export const handler = httpHandler('getFile', async (request) => {
  const { id } = request.path(fileIdPath);
  return { status: 200, body: await tableOnlyFileService().get(request.caller, id) };
});
