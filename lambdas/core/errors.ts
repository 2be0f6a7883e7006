/**
 * The service's error hierarchy. The domain throws these; the HTTP layer renders them as
 * epilot's ErrorObject `{status, error}`. Anything else is an internal error and is never
 * shown to the client.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  toJSON(): { status: number; error: string } {
    return { status: this.status, error: this.message };
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message = 'Unauthorized: missing or invalid token') {
    super(401, message);
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, message);
  }
}

/** A write lost a race it could not win by retrying; the client may retry the request. */
export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, message);
  }
}

/** The client's If-Match names a state of the file that is no longer its current one. */
export class PreconditionFailedError extends HttpError {
  constructor(message: string) {
    super(412, message);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, message);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, message);
  }
}

/** The request is well-formed, but the file cannot be processed as asked (too big to preview). */
export class UnprocessableError extends HttpError {
  constructor(message: string) {
    super(422, message);
  }
}

/**
 * A storage call failed part-way. Every write of the service is safe to repeat, so the
 * client should retry the same request.
 */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, message, options);
  }
}
