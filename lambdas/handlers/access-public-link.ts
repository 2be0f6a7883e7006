import { publicHttpHandler } from '../http/handler';
import { linkIdPath } from '../http/link-schemas';
import { openablePublicLinks } from '../wiring-public';
import { redirectTo } from '../http/redirect';

/** accessPublicLink (no token): redirects to the linked file's latest version, recording the access. */
export const handler = publicHttpHandler('accessPublicLink', async (request) => {
  // The filename segment only names the download for people; the id alone decides.
  const { id } = request.path(linkIdPath);
  return redirectTo(await openablePublicLinks().open(id));
});
