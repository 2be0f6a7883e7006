import { httpHandler } from '../http/handler';
import { listQuery } from '../http/schemas';
import { fileListing } from '../wiring-table-only';

/** listFiles: the caller's org's files, filtered and ordered, a page at a time. */
export const handler = httpHandler('listFiles', async (request) => {
  const { limit, cursor, sort, ...filters } = request.query(listQuery);
  const query = {
    limit,
    sort,
    ...(cursor !== undefined ? { cursor } : {}),
    ...Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)),
  };
  return { status: 200, body: await fileListing().list(request.caller, query) };
});
