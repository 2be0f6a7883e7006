import { httpHandler } from '../http/handler';
import { linkIdPath } from '../http/link-schemas';
import { linkAdmin } from '../wiring-links';

/** revokePublicLink: the link stops working at once. */
export const handler = httpHandler('revokePublicLink', async (request) => {
  const { id } = request.path(linkIdPath);
  await linkAdmin().revoke(request.caller, id);
  return { status: 204 };
});
