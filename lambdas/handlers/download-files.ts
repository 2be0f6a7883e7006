import { httpHandler } from '../http/handler';
import { downloadFilesBody } from '../http/schemas';
import { fileService } from '../wiring';

/** downloadFiles: presigned GET URLs for many files at once, in the order asked. */
export const handler = httpHandler('downloadFiles', async (request) => {
  const items = request.body(downloadFilesBody);
  const results = await fileService().downloadMany(
    request.caller,
    items.map((item) => ({ id: item.id, version: item.version ?? 0, attachment: true })),
  );
  return { status: 200, body: results };
});
