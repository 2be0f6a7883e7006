import { publicHttpHandler } from '../http/handler';
import { publicFileQuery } from '../http/link-schemas';
import { fileIdPath } from '../http/schemas';
import { publicFiles } from '../wiring-public';
import { redirectTo } from '../http/redirect';

/** getPublicFile (no token): a public-read file's `public_url` redirects to its latest version. */
export const handler = publicHttpHandler('getPublicFile', async (request) => {
  const { id } = request.path(fileIdPath);
  const { org_id } = request.query(publicFileQuery);
  return redirectTo(await publicFiles().download(org_id, id));
});
