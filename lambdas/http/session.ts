import type { JWTPayload } from 'jose';

/**
 * Browser sessions (epilot's `CookieAuth`): getSession turns a verified bearer token into an
 * HttpOnly cookie named `token`, which an `<img>` sends where it cannot send a header. Only
 * the routes of operations marked `cookie` accept it; on AWS a Lambda authorizer reads it,
 * locally the local API does, both through `sessionToken` here.
 */
export const sessionCookieName = 'token';

/**
 * The longest token accepted from a header or a cookie. Identity providers' access tokens
 * are a few KB; API Gateway takes at most 10 KB of headers in all.
 */
export const maxSessionTokenChars = 8192;

/** A compact JWS: three base64url parts. Anything else is refused before any verification. */
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The token a cookie route is authorized by: the bearer token when an Authorization header
 * is sent (a header that is not a bearer token is refused, the cookie is then not looked
 * at), else the value of the one `token` cookie. Undefined when there is none, when there
 * are two `token` cookies (which one the browser meant cannot be told), or when the value
 * is not a compact JWS of at most `maxSessionTokenChars`.
 *
 * `cookies` are the request's `name=value` pairs as API Gateway's payload 2.0 lists them
 * (`event.cookies`); a raw Cookie header may be passed too, its pairs are split here.
 */
export function sessionToken(authorization: string | undefined, cookies: readonly string[] | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return match?.[1] && acceptable(match[1]) ? match[1] : undefined;
  }
  const values = (cookies ?? [])
    .flatMap((entry) => entry.split(';'))
    .map((pair) => pair.trim())
    .filter((pair) => pair.split('=', 1)[0]?.trim() === sessionCookieName)
    .map((pair) => pair.slice(pair.indexOf('=') + 1).trim());
  if (values.length !== 1) return undefined;
  const [value] = values;
  return value !== undefined && acceptable(value) ? value : undefined;
}

function acceptable(token: string): boolean {
  return token.length <= maxSessionTokenChars && compactJws.test(token);
}

/**
 * The Set-Cookie of getSession. SameSite=None: apps show previews with `<img>` from their
 * own site, and a Lax or Strict cookie is not sent with a cross-site image. That is safe
 * only because the cookie is accepted on GET reads alone (no route that changes anything
 * takes it) and because CORS lets scripts read credentialed answers only from origins the
 * operator lists. SameSite=None requires Secure; HttpOnly keeps the token from scripts.
 */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${sessionCookieName}=${token}; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

/** The Set-Cookie of deleteSession: the same cookie, expired. */
export function clearedSessionCookie(): string {
  return `${sessionCookieName}=; Path=/; HttpOnly; Secure; SameSite=None; Max-Age=0`;
}

/**
 * API Gateway's rule for audiences, which the JWT authorizer applies and the session
 * authorizer repeats: `aud` must name an accepted audience; only a token without `aud` is
 * judged by its `client_id` (client-credentials tokens of Cognito carry none).
 */
export function hasAcceptedAudience(payload: JWTPayload, accepted: readonly string[]): boolean {
  if (payload.aud !== undefined) {
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    return audiences.some((audience) => accepted.includes(audience));
  }
  const client = payload.client_id;
  return typeof client === 'string' && accepted.includes(client);
}

/**
 * Claims as API Gateway's JWT authorizer hands them on: every value a string, a list as
 * `[a b c]`. The session authorizer passes its claims in this shape too (as its context),
 * so handlers meet one shape whichever authorizer let the request in.
 */
export function gatewayClaims(claims: JWTPayload): Record<string, string> {
  return Object.fromEntries(
    Object.entries(claims).map(([name, value]) => [
      name,
      Array.isArray(value)
        ? `[${value.map(String).join(' ')}]`
        : typeof value === 'object' && value !== null
          ? JSON.stringify(value)
          : String(value),
    ]),
  );
}
