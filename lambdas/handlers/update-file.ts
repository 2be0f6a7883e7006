import { httpHandler } from '../http/handler';
import { ifMatchOf } from '../http/if-match';
import { metadataPatchOf } from '../http/metadata-patch';
import { fileIdPath, patchBody } from '../http/schemas';
import { tableOnlyFileService } from '../wiring-table-only';

/**
 * updateFile: merges new metadata into the file and answers it with its new ETag. With
 * If-Match, the update happens only if the file is still in the state the client read.
 */
export const handler = httpHandler('updateFile', async (request) => {
  const { id } = request.path(fileIdPath);
  const patch = request.body(patchBody);
  const { entity, etag } = await tableOnlyFileService('write').update(request.caller, id, metadataPatchOf(patch), ifMatchOf(request));
  return { status: 200, body: entity, headers: { etag } };
});
