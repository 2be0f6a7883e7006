import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalAuth } from '../auth';
import type { LocalPage } from '../api';

/** Who the local sign-in makes you, unless the request names someone else. */
export const localUser = { org: 'demo-org', user: 'demo-user' } as const;
const ttlSeconds = 24 * 3600;
const maxBodyBytes = 4096;
const namePattern = /^[A-Za-z0-9._@:-]{1,128}$/;

/**
 * `POST /local/token`: a token of the local identity provider, as `npm run token` prints, for
 * the console's one-click sign-in and the CLI with no token. Body (optional):
 * `{org?, user?, roles?}`; answers `{token, org_id, user_id, expires_in}`. There is no such
 * route on AWS, where tokens come from the identity provider; `npm start` serves it on
 * 127.0.0.1 only unless HOST says otherwise.
 */
export function signInPage(auth: LocalAuth): LocalPage {
  return {
    method: 'POST',
    path: '/local/token',
    async handle(request, response) {
      const body = await readJson(request);
      if (body === undefined) return reply(response, 400, { status: 400, error: 'The body must be a JSON object {org?, user?, roles?}' });
      const org = body.org ?? localUser.org;
      const user = body.user ?? localUser.user;
      const roles = body.roles ?? [];
      if (typeof org !== 'string' || !namePattern.test(org)) return reply(response, 400, { status: 400, error: 'org must be 1 to 128 letters, digits or ._@:-' });
      if (typeof user !== 'string' || !namePattern.test(user)) return reply(response, 400, { status: 400, error: 'user must be 1 to 128 letters, digits or ._@:-' });
      if (!Array.isArray(roles) || roles.length > 20 || !roles.every((role) => typeof role === 'string' && namePattern.test(role))) {
        return reply(response, 400, { status: 400, error: 'roles must be a list of at most 20 names' });
      }
      const token = await auth.sign({ org, user, roles: roles as string[] }, ttlSeconds);
      reply(response, 200, { token, org_id: org, user_id: user, expires_in: ttlSeconds });
    },
  };
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
