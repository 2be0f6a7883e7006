const transientCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/**
 * A timeout, a dropped connection, or a storage service's own failure: the same request may
 * well succeed when sent again. AWS SDK errors say so with `$fault: 'server'` or `$retryable`;
 * network errors with their code.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const details = error as Error & { $fault?: string; $retryable?: unknown; code?: string };
  return (
    error.name === 'TimeoutError' ||
    details.$fault === 'server' ||
    Boolean(details.$retryable) ||
    (details.code !== undefined && transientCodes.has(details.code))
  );
}
