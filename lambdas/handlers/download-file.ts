import { httpHandler } from '../http/handler';
import { downloadQuery, fileIdPath } from '../http/schemas';
import { fileService } from '../wiring';

/** downloadFile: a presigned GET URL for one version (0 = latest). */
export const handler = httpHandler('downloadFile', async (request) => {
  const { id } = request.path(fileIdPath);
  const { version, attachment } = request.query(downloadQuery);
  return { status: 200, body: await fileService().download(request.caller, { id, version, attachment }) };
});
