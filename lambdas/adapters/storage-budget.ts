/**
 * How long one storage call may take, so that a hung S3 or DynamoDB call ends in the
 * service's own "503, retry" instead of running into the Lambda timeout (where API Gateway
 * answers for us, and a write may be cut at any step).
 *
 * One attempt ends when the connection is not made within `connectionTimeoutMs`, when no
 * response has begun within `requestTimeoutMs` (both count from the attempt's start), or
 * when a response falls silent for `requestTimeoutMs`. The SDK makes at most `maxAttempts`
 * attempts with a backoff between them, so one call is bounded by `worstCaseCallMs`, which
 * stays well inside the Lambda's timeout.
 */
export interface StorageBudget {
  /** The timeout of the Lambdas that use this budget (lib/file-service.ts sets it). */
  lambdaTimeoutMs: number;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

/**
 * The SDK's standard retry waits a random part of `base × 2^retry` before each retry, with a
 * 1 s base for throttling errors (50 ms otherwise). The budget counts the throttled case.
 * (It would also honour a Retry-After header; S3 and DynamoDB do not send one.)
 */
const throttledRetryBaseMs = 1_000;

export const storageBudgets = {
  /**
   * uploadFile, getFile, downloadFile(s): 10 s Lambdas whose calls are small reads
   * (milliseconds when storage is healthy). Worst call: 2 × 3 s + 1 s backoff = 7 s.
   */
  read: { lambdaTimeoutMs: 10_000, connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000, maxAttempts: 2 },
  /**
   * saveFile, deleteFile: 29 s Lambdas (API Gateway's integration limit is 30 s) that copy
   * and delete objects. Worst call: 2 × 10 s + 1 s backoff = 21 s.
   */
  write: { lambdaTimeoutMs: 29_000, connectionTimeoutMs: 1_000, requestTimeoutMs: 10_000, maxAttempts: 2 },
} as const satisfies Record<string, StorageBudget>;

export type BudgetName = keyof typeof storageBudgets;

/** The longest one storage call can take under `budget`, retries and backoff included. */
export function worstCaseCallMs(budget: StorageBudget): number {
  let backoff = 0;
  for (let retry = 0; retry < budget.maxAttempts - 1; retry += 1) backoff += throttledRetryBaseMs * 2 ** retry;
  return budget.maxAttempts * Math.max(budget.connectionTimeoutMs, budget.requestTimeoutMs) + backoff;
}

/** The SDK client options that enforce `budget`. */
export function clientTimeouts(budget: StorageBudget) {
  return {
    maxAttempts: budget.maxAttempts,
    requestHandler: {
      connectionTimeout: budget.connectionTimeoutMs,
      requestTimeout: budget.requestTimeoutMs,
      // Without it the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      // A response that begins and then stalls ends too.
      socketTimeout: budget.requestTimeoutMs,
    },
  };
}
