import type { RouteThrottle } from '../lambdas/operations';

/**
 * API Gateway's route throttling: a token bucket per route, shared by every client, holding
 * up to `burstLimit` requests and refilled at `rateLimit` per second. A request that finds
 * the bucket empty is answered 429 without reaching the authorizer or the integration.
 */
export class RouteThrottles {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limits: RouteThrottle,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limits.rateLimit > 0) || !(limits.burstLimit >= 1)) {
      throw new Error(`A route throttle needs a positive rate and a burst of at least 1, got ${JSON.stringify(limits)}`);
    }
  }

  /** Takes one request's token from the route's bucket; false when there is none left. */
  take(routeKey: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(routeKey) ?? { tokens: this.limits.burstLimit, at: now };
    const refilled = Math.min(this.limits.burstLimit, bucket.tokens + ((now - bucket.at) / 1000) * this.limits.rateLimit);
    const allowed = refilled >= 1;
    this.buckets.set(routeKey, { tokens: allowed ? refilled - 1 : refilled, at: now });
    return allowed;
  }
}
