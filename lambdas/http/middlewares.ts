import type { Context } from 'aws-lambda';
import type { MiddlewareObj, Request } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { BadRequestError, ForbiddenError, HttpError, PayloadTooLargeError, ServiceUnavailableError, UnauthorizedError } from '../core/errors';
import { maxOrgChars } from '../core/access';
import type { Caller } from '../core/model';
import { isTransient } from '../core/transient';
import { adminRole, claimHasRole, rolesClaim, serviceScope, tenantClaim } from '../config';
import type { Logger } from './logger';
import type { Metrics, RecordedMetric } from './metrics';
import { publishRequestMetrics } from './metrics';
import type { ApiEvent, ApiResult } from './types';

/**
 * The steps around every operation, in middy's order: observe (timing, then the log line
 * and metrics once the answer is known), render errors, the caller from the verified
 * claims, the JSON body. What they find for the operation lives in the request's exchange.
 */
export interface Exchange {
  caller?: Caller;
  /** The parsed JSON body; undefined when the request had none. */
  body?: unknown;
  readonly metrics: RecordedMetric[];
}

type ApiRequestState = Request<ApiEvent, ApiResult, Error, Context>;

const exchanges = new WeakMap<ApiEvent, Exchange>();

export function exchangeOf(event: ApiEvent): Exchange {
  let exchange = exchanges.get(event);
  if (!exchange) {
    exchange = { metrics: [] };
    exchanges.set(event, exchange);
  }
  return exchange;
}

/** JSON bodies of this API are small; anything larger is not a valid request. */
export const maxBodyBytes = 1024 * 1024;
/**
 * A save may carry a file inline (`content_base64`, at most 4 MiB, 5.6 MB as base64): its
 * body may come close to the 6 MB a Lambda invocation carries, and no closer.
 */
export const maxSaveBodyBytes = 6_000_000;

/**
 * The caller's org and user from the JWT claims API Gateway verified; the org claim's name is
 * configurable. A token whose `scope` lists SERVICE_SCOPE is a backend's: client-credentials
 * tokens (Cognito's among them) may carry no `sub`, and then the app client's `client_id`
 * names the caller.
 */
export function callerFromClaims(): MiddlewareObj<ApiEvent, ApiResult, Error, Context> {
  return {
    before: ({ event }) => {
      const claims = verifiedClaims(event);
      if (!claims) throw new UnauthorizedError();
      const claim = tenantClaim();
      const org = claims[claim];
      if ((typeof org !== 'string' && typeof org !== 'number') || String(org) === '') {
        throw new ForbiddenError(`Forbidden: the token carries no ${claim} claim`);
      }
      // The org is part of every key of its files, which storage bounds.
      if (String(org).length > maxOrgChars) {
        throw new ForbiddenError(`Forbidden: the token's ${claim} claim is longer than ${maxOrgChars} characters`);
      }
      const service = claimHasRole(claims.scope, serviceScope());
      const userId = nonEmpty(claims.sub) ?? (service ? nonEmpty(claims.client_id) : undefined);
      if (userId === undefined) {
        throw new ForbiddenError(`Forbidden: the token carries no sub${service ? ' or client_id' : ''} claim`);
      }
      const admin = claimHasRole(claims[rolesClaim()], adminRole());
      exchangeOf(event).caller = { org: String(org), userId, ...(admin ? { admin: true } : {}), ...(service ? { service: true } : {}) };
    },
  };
}

/**
 * The verified claims, from whichever authorizer let the request in: the JWT authorizer's
 * (`authorizer.jwt.claims`) or, on the routes that also take the session cookie, the
 * session authorizer's context (`authorizer.lambda`), which carries the claims in the same
 * shape. The same checks follow either way.
 */
function verifiedClaims(event: ApiEvent): Record<string, unknown> | undefined {
  const authorizer = event.requestContext?.authorizer as
    | { jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> | null }
    | undefined;
  const claims = authorizer?.jwt?.claims ?? authorizer?.lambda;
  return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? claims : undefined;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * middy's JSON parser, whatever the content type (as API Gateway passes bodies on), after a
 * size check; malformed JSON is the client's mistake, a 400 (the parser says 415).
 */
export function jsonBody(limit = maxBodyBytes): MiddlewareObj<ApiEvent, ApiResult, Error, Context> {
  // disableContentTypeCheck is in the parser's code and docs but not yet in its typings.
  const parser = httpJsonBodyParser({ disableContentTypeCheck: true } as Parameters<typeof httpJsonBodyParser>[0]);
  return {
    before: async (request) => {
      const raw = request.event.body;
      if (raw === undefined || raw === null) return;
      const bytes = Buffer.byteLength(raw, request.event.isBase64Encoded ? 'base64' : 'utf8');
      if (bytes > limit) throw new PayloadTooLargeError(`Request body is larger than ${limit} bytes`);
      const text = request.event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
      if (text.trim() === '') return;
      try {
        await parser.before?.(request as never);
      } catch {
        throw new BadRequestError('Request body is not valid JSON');
      }
      exchangeOf(request.event).body = request.event.body;
    },
  };
}

/** The one place errors become answers: epilot's `{status, error}`; internals never leave. */
export function renderErrors(): MiddlewareObj<ApiEvent, ApiResult, Error, Context> {
  return {
    onError: (request) => {
      const body = errorBody(request.error);
      request.response = json(body.status, body);
    },
  };
}

function errorBody(error: unknown): { status: number; error: string } {
  if (error instanceof HttpError) return error.toJSON();
  // A storage failure no use case turned into an answer of its own (reads do not): every
  // operation is safe to repeat, so the client is told to retry rather than shown a 500.
  if (isTransient(error)) return unavailable.toJSON();
  return { status: 500, error: 'Internal server error' };
}

const unavailable = new ServiceUnavailableError('Storage did not answer in time; retry the same request');



/**
 * Name, message, stack and causes. Passed as a plain object: an HttpError's toJSON (its
 * client-facing body) would otherwise replace the stack and the cause in the log.
 */
function errorDetails(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return String(error);
  const { name, message, stack, cause } = error;
  return { name, message, stack, ...(cause !== undefined && depth < 3 ? { cause: errorDetails(cause, depth + 1) } : {}) };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode: status, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * Times the request and, once its answer is known, writes one log line (request id, cold
 * start, operation and org on it, as on every line) and its metrics. Registered first, so
 * its onError runs after the errors were rendered.
 */
export function observe(options: {
  operation: string;
  logger: Logger;
  metrics: Metrics;
}): MiddlewareObj<ApiEvent, ApiResult, Error, Context> {
  const { operation, logger, metrics } = options;
  // A provisioned environment ran its init ahead of time: its first request starts warm.
  let coldStart = process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';
  const started = new WeakMap<ApiEvent, { at: number; coldStart: boolean }>();

  const finish = (request: ApiRequestState) => {
    const start = started.get(request.event);
    const status = request.response?.statusCode ?? 500;
    const caller = exchangeOf(request.event).caller;
    const common = {
      operation,
      org: caller?.org,
      request_id: request.context?.awsRequestId ?? request.event.requestContext?.requestId,
      cold_start: start?.coldStart,
    };
    try {
      if (status >= 500 && request.error) logger.error('request failed', { ...common, error: errorDetails(request.error) });
      logger.info('request', {
        ...common,
        route: request.event.routeKey,
        status,
        duration_ms: start ? Math.round(performance.now() - start.at) : undefined,
      });
      publishRequestMetrics(metrics, {
        operation,
        status,
        recorded: exchangeOf(request.event).metrics,
        functionName: request.context?.functionName,
      });
    } catch {
      // Logs and metrics must never turn an answer into a failure.
    }
  };

  return {
    before: ({ event }) => {
      // Each invocation starts with its own exchange, even for an event object seen before.
      exchanges.set(event, { metrics: [] });
      started.set(event, { at: performance.now(), coldStart });
      coldStart = false;
    },
    after: finish,
    onError: finish,
  };
}
