import { httpHandler } from '../http/handler';
import { batchGetBody } from '../http/schemas';
import { tableOnlyFileService } from '../wiring-table-only';

/** batchGet: many files at once, in the order asked; the rest are listed as not found. */
export const handler = httpHandler('batchGetFiles', async (request) => {
  const { ids } = request.body(batchGetBody);
  return { status: 200, body: await tableOnlyFileService().getMany(request.caller, ids) };
});
