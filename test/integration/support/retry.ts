import type { ApiResponse } from './api';

/** The statuses the README tells clients to answer by sending the same request again. */
export const retryableStatuses = [409, 503] as const;

export interface Retried<T> {
  /** The last answer: a success, a refusal that is not worth retrying, or the last 409/503. */
  response: ApiResponse<T>;
  /** How many times the request was sent. */
  attempts: number;
}

/**
 * Sends a request and, on 409 or 503, sends it again as a well-behaved client does: a bounded
 * number of times, with jittered exponential backoff so retrying clients do not collide again.
 */
export async function withRetries<T>(
  send: () => Promise<ApiResponse<T>>,
  { attempts = 6, baseDelayMs = 250, maxDelayMs = 4000 }: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } = {},
): Promise<Retried<T>> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await send();
    if (!(retryableStatuses as readonly number[]).includes(response.status) || attempt >= attempts) {
      return { response, attempts: attempt };
    }
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + Math.random() * (ceiling / 2)));
  }
}
