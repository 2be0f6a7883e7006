import { httpHandler } from '../http/handler';
import { generateLinkBody } from '../http/link-schemas';
import { fileIdPath } from '../http/schemas';
import { linkAdmin } from '../wiring-links';

/** generatePublicLink: a new link that opens the file without a token; the body is the link. */
export const handler = httpHandler('generatePublicLink', async (request) => {
  const { id } = request.path(fileIdPath);
  const expiresAt = request.optionalBody(generateLinkBody)?.expires_at;
  return { status: 201, body: await linkAdmin().create(request.caller, id, expiresAt ? { expiresAt } : {}) };
});
