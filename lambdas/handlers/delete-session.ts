import { publicHttpHandler } from '../http/handler';
import { clearedSessionCookie } from '../http/session';

/**
 * deleteSession: clears the session cookie. No token is needed: clearing one's own cookie
 * harms nobody, and a signed-out app may no longer hold a valid token.
 */
export const handler = publicHttpHandler('deleteSession', async () => ({
  status: 200,
  headers: { 'set-cookie': clearedSessionCookie(), 'cache-control': 'no-store' },
}));
