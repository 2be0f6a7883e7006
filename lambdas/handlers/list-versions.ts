import { httpHandler } from '../http/handler';
import { fileIdPath, versionsQuery } from '../http/schemas';
import { fileService } from '../wiring';

/** listFileVersions: every version of a file, newest first, one page per request. */
export const handler = httpHandler('listFileVersions', async (request) => {
  const { id } = request.path(fileIdPath);
  const { limit, cursor } = request.query(versionsQuery);
  const page = await fileService().listVersions(request.caller, id, { limit, ...(cursor ? { cursor } : {}) });
  return { status: 200, body: page };
});
