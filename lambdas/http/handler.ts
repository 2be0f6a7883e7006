import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { safeParse } from 'zod/mini';
import type { core, output } from 'zod/mini';
import { BadRequestError, ServiceUnavailableError } from '../core/errors';
import type { Caller } from '../core/model';
import { createLogger } from './logger';
import type { Logger } from './logger';
import { createMetrics } from './metrics';
import type { BusinessMetric, Metrics, RecordedMetric } from './metrics';
import { callerFromClaims, exchangeOf, json, jsonBody, maxBodyBytes, maxSaveBodyBytes, observe, renderErrors } from './middlewares';
import type { ApiEvent, ApiHandler, ApiResult } from './types';

export type { ApiEvent, ApiHandler, ApiResult } from './types';

/** What a handler reads from a request; every part is validated by a schema on the way in. */
export interface ApiRequest extends PublicApiRequest {
  readonly caller: Caller;
}

/** A request of a route reached without a token: there is no caller. */
export interface PublicApiRequest {
  /**
   * The API's own address as the client called it (`https://<domain>[/<stage>]`): links the
   * service hands out point back at it, custom domains included.
   */
  readonly apiUrl: string;
  /** The HTTP method, for an operation reached by more than one. */
  readonly method: string;
  /** A request header, by case-insensitive name. */
  header(name: string): string | undefined;
  body<S extends core.$ZodType>(schema: S): output<S>;
  /** The validated body, or undefined when the request has none. */
  optionalBody<S extends core.$ZodType>(schema: S): output<S> | undefined;
  query<S extends core.$ZodType>(schema: S): output<S>;
  path<S extends core.$ZodType>(schema: S): output<S>;
  /** Counts something the operation did, published as a metric with the request's answer. */
  metric(name: BusinessMetric, unit: RecordedMetric['unit'], value: number): void;
}

export interface Reply {
  status: number;
  /** A JSON body; undefined sends none (204, 302). */
  body?: unknown;
  /** Bytes sent as they are (base64 through API Gateway), typed by the `content-type` header. */
  bytes?: Uint8Array;
  headers?: Record<string, string>;
}

/**
 * Lambda stops a function at its timeout and API Gateway answers for it. Shortly before,
 * the pipeline answers itself: every operation is safe to repeat, so a 503 says retry.
 */
const answerBeforeTimeoutMs = 500;

let defaultLogger: Logger | undefined;
let defaultMetrics: Metrics | undefined;

/**
 * Wraps one operation as a Lambda handler for API Gateway HTTP API (payload v2) events, a
 * middy pipeline: caller from the verified JWT claims, JSON body, validated input, JSON
 * output, every failure rendered as epilot's ErrorObject, one log line and the metrics
 * of each request. Internal errors are logged, never shown.
 */
export function httpHandler(
  operation: string,
  handle: (request: ApiRequest) => Promise<Reply>,
  logger: Logger = (defaultLogger ??= createLogger()),
  metrics: Metrics = (defaultMetrics ??= createMetrics()),
): ApiHandler {
  return pipeline(operation, async (event) => handle(requestOf(event)), { logger, metrics, identify: callerFromClaims() });
}

/**
 * The same pipeline for a route reached without a token (public files and links): no caller,
 * everything else alike.
 */
export function publicHttpHandler(
  operation: string,
  handle: (request: PublicApiRequest) => Promise<Reply>,
  logger: Logger = (defaultLogger ??= createLogger()),
  metrics: Metrics = (defaultMetrics ??= createMetrics()),
): ApiHandler {
  return pipeline(operation, async (event) => handle(publicRequestOf(event)), { logger, metrics });
}

function pipeline(
  operation: string,
  handle: (event: ApiEvent) => Promise<Reply>,
  options: { logger: Logger; metrics: Metrics; identify?: MiddlewareObj<ApiEvent, ApiResult, Error, Context> },
): ApiHandler {
  const { logger, metrics, identify } = options;
  const run = async (event: ApiEvent): Promise<ApiResult> => {
    const reply = await handle(event);
    if (reply.bytes !== undefined) {
      return { statusCode: reply.status, headers: reply.headers ?? {}, body: Buffer.from(reply.bytes).toString('base64'), isBase64Encoded: true };
    }
    return reply.body === undefined
      ? { statusCode: reply.status, ...(reply.headers ? { headers: reply.headers } : {}) }
      : json(reply.status, reply.body, reply.headers);
  };
  const handler = middy<ApiEvent, ApiResult, Error, Context>(run, {
    timeoutEarlyInMillis: answerBeforeTimeoutMs,
    timeoutEarlyResponse: () => {
      throw new ServiceUnavailableError('The request took too long; retry the same request');
    },
  })
    .use(observe({ operation, logger, metrics }))
    .use(renderErrors());
  if (identify) handler.use(identify);
  return handler.use(jsonBody(operation === 'saveFile' ? maxSaveBodyBytes : maxBodyBytes)) as unknown as ApiHandler;
}

function requestOf(event: ApiEvent): ApiRequest {
  const { caller } = exchangeOf(event);
  // callerFromClaims runs first and refuses a request without one.
  if (!caller) throw new Error('the request reached its operation without a caller');
  const request = publicRequestOf(event);
  return { ...request, caller: { ...caller, apiUrl: request.apiUrl } };
}

function publicRequestOf(event: ApiEvent): PublicApiRequest {
  const exchange = exchangeOf(event);
  const apiUrl = apiUrlOf(event);
  return {
    apiUrl,
    method: event.requestContext.http.method,
    header: (name) => headerOf(event, name),
    body: (schema) => {
      if (exchange.body === undefined) throw new BadRequestError('Request body is required: send a JSON document');
      return validate(schema, exchange.body, 'body');
    },
    optionalBody: (schema) => (exchange.body === undefined ? undefined : validate(schema, exchange.body, 'body')),
    query: (schema) => validate(schema, event.queryStringParameters ?? {}, 'query'),
    path: (schema) => validate(schema, event.pathParameters ?? {}, 'path'),
    metric: (name, unit, value) => {
      exchange.metrics.push({ name, unit, value });
    },
  };
}

/** Any zod schema (zod/mini's, as in ./schemas, or classic zod's): both share zod's core. */
function validate<S extends core.$ZodType>(schema: S, input: unknown, where: string): output<S> {
  const result = safeParse(schema, input);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : where;
    return `${path}: ${issue.message}`;
  });
  throw new BadRequestError(`Invalid ${where}: ${problems.join('; ')}`);
}

function headerOf(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  // API Gateway passes header names lower-cased; other callers may not.
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** `https://<domain>`, with the stage when the API is not on its `$default` stage. */
export function apiUrlOf(event: ApiEvent): string {
  const protocol = headerOf(event, 'x-forwarded-proto') === 'http' ? 'http' : 'https';
  const { domainName, stage } = event.requestContext;
  return `${protocol}://${domainName}${stage && stage !== '$default' ? `/${stage}` : ''}`;
}
