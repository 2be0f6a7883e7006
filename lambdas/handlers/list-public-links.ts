import { httpHandler } from '../http/handler';
import { fileIdPath } from '../http/schemas';
import { linkAdmin } from '../wiring-links';

/** listPublicLinksForFile: the file's live links and when each was last opened. */
export const handler = httpHandler('listPublicLinksForFile', async (request) => {
  const { id } = request.path(fileIdPath);
  return { status: 200, body: await linkAdmin().list(request.caller, id) };
});
