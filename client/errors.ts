/**
 * What the service refused, or that it could not be reached: `status` is the HTTP status
 * (0 when no answer came), `error` the service's message (`{status, error}`, or API
 * Gateway's `{message}`).
 */
export class FileServiceError extends Error {
  override readonly name = 'FileServiceError';

  constructor(
    readonly status: number,
    readonly error: string,
    readonly body?: unknown,
    options?: { cause?: unknown },
  ) {
    super(status ? `${status} ${error}` : error, options);
  }

  /** The error of a non-2xx answer whose body has been read as text. */
  static fromAnswer(status: number, text: string): FileServiceError {
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the text itself is the message
    }
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const message = typeof record.error === 'string' ? record.error : typeof record.message === 'string' ? record.message : text || `HTTP ${status}`;
    return new FileServiceError(status, message, body);
  }
}

/** The rejection of an aborted upload: a DOMException named AbortError, as fetch gives. */
export function abortError(): Error {
  return new DOMException('The upload was aborted', 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}
