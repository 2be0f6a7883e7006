import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalApi } from '../../../local/api';
import type { LocalApi } from '../../../local/api';
import { createLocalAuth } from '../../../local/auth';
import { RouteThrottles } from '../../../local/throttle';
import type { ApiEvent } from '../../../lambdas/http/handler';

/** The local API's routes without an authorizer, and the throttle that guards them instead. */

let api: LocalApi;
let token: string;
const seen: ApiEvent[] = [];

beforeAll(async () => {
  const auth = await createLocalAuth();
  token = await auth.sign({ org: 'org-a', user: 'alice' });
  const reply = async (event: ApiEvent) => {
    seen.push(event);
    return { statusCode: 204 };
  };
  api = await startLocalApi({
    routes: [
      { method: 'GET', path: '/open/{id}', handler: reply, public: true },
      { method: 'GET', path: '/also-open', handler: reply, public: true },
      { method: 'GET', path: '/closed', handler: reply },
    ],
    auth,
    publicThrottle: { rateLimit: 0.001, burstLimit: 3 },
  });
});

afterAll(async () => {
  await api?.stop();
});

describe('a public route of the local API', () => {
  it('calls its handler without a token and without an authorizer context, and never looks at a token sent', async () => {
    // Act
    const anonymous = await fetch(`${api.url}/open/1`);
    const garbage = await fetch(`${api.url}/open/2`, { headers: { authorization: 'Bearer not-a-token' } });

    // Assess
    expect([anonymous.status, garbage.status]).toEqual([204, 204]);
    expect(seen.slice(-2).map((event) => [event.pathParameters?.id, event.requestContext.authorizer])).toEqual([
      ['1', undefined],
      ['2', undefined],
    ]);
  });

  it('answers 429 {"message":"Too Many Requests"} once its bucket is empty, without calling the handler, while other routes go on', async () => {
    // Prepare: the first test took two of the route's three tokens.
    const calls = seen.length;

    // Act
    const last = await fetch(`${api.url}/open/3`);
    const throttled = await fetch(`${api.url}/open/4`);
    const otherPublic = await fetch(`${api.url}/also-open`);
    const closed = await fetch(`${api.url}/closed`, { headers: { authorization: `Bearer ${token}` } });

    // Assess
    expect(last.status).toBe(204);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('content-type')).toBe('application/json');
    expect(await throttled.json()).toEqual({ message: 'Too Many Requests' });
    expect([otherPublic.status, closed.status]).toEqual([204, 204]);
    expect(seen.length).toBe(calls + 3);
  });

  it('still requires a token on the other routes', async () => {
    // Act
    const response = await fetch(`${api.url}/closed`);

    // Assess
    expect(response.status).toBe(401);
  });
});

describe('RouteThrottles', () => {
  it('lets a burst through, then refills at the rate, one bucket per route', () => {
    // Prepare
    let now = 0;
    const throttles = new RouteThrottles({ rateLimit: 2, burstLimit: 2 }, () => now);

    // Act
    const burst = [throttles.take('GET /a'), throttles.take('GET /a'), throttles.take('GET /a')];
    const otherRoute = throttles.take('GET /b');
    now = 499;
    const tooEarly = throttles.take('GET /a');
    now = 1000;
    const refilled = throttles.take('GET /a');

    // Assess
    expect(burst).toEqual([true, true, false]);
    expect([otherRoute, tooEarly, refilled]).toEqual([true, false, true]);
  });

  it('refuses limits that would shut the route', () => {
    expect(() => new RouteThrottles({ rateLimit: 0, burstLimit: 1 })).toThrow(/positive rate/);
    expect(() => new RouteThrottles({ rateLimit: 1, burstLimit: 0 })).toThrow(/burst of at least 1/);
  });
});
