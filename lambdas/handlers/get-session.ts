import { decodeJwt } from 'jose';
import { UnauthorizedError } from '../core/errors';
import { httpHandler } from '../http/handler';
import { sessionCookie, sessionToken } from '../http/session';

/**
 * getSession: the bearer token the JWT authorizer verified becomes the HttpOnly session
 * cookie `token`, valid as long as the token (Max-Age: the seconds until its `exp`), for
 * the routes that take it (operations marked `cookie`).
 */
export const handler = httpHandler('getSession', async (request) => {
  const token = sessionToken(request.header('authorization'), undefined);
  if (!token) throw new UnauthorizedError('Unauthorized: getSession needs the bearer token in the Authorization header');
  const { exp } = decodeJwt(token);
  if (typeof exp !== 'number') throw new UnauthorizedError('Unauthorized: the token has no expiry');
  return {
    status: 200,
    headers: { 'set-cookie': sessionCookie(token, exp - Date.now() / 1000), 'cache-control': 'no-store' },
  };
});
