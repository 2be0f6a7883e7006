import * as z from 'zod/mini';
import { maxLinkLifetimeDays } from '../core/public-links';

/**
 * Schemas of the public file and public link routes. Ids are checked by the use cases
 * themselves: on the routes reached without a token, an id that names nothing is a 404 like
 * an unknown one, whatever its shape.
 */

/** generatePublicLink: no body, or `{expires_at}`; other fields are ignored. */
export const generateLinkBody = z.object({
  expires_at: z.optional(
    z.iso.datetime({ offset: true, message: `must be an ISO 8601 date-time, at most ${maxLinkLifetimeDays} days ahead` }),
  ),
});

/** `/v1/files/public/{id}?org_id=`: the org whose file it is. */
export const publicFileQuery = z.object({
  org_id: z.optional(z.string()),
});

export const linkIdPath = z.object({ id: z.string() });
