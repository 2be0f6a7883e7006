import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { safeParse } from 'zod/mini';
import type { core, output } from 'zod/mini';
import { BadRequestError, ForbiddenError, HttpError, PayloadTooLargeError, UnauthorizedError } from '../core/errors';
import type { Caller } from '../core/model';
import { createLogger } from './logger';
import type { Logger } from './logger';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type ApiHandler = (event: ApiEvent, context?: Partial<Context>) => Promise<ApiResult>;

/** What a handler reads from a request; every part is validated by a schema on the way in. */
export interface ApiRequest {
  readonly caller: Caller;
  body<S extends core.$ZodType>(schema: S): output<S>;
  query<S extends core.$ZodType>(schema: S): output<S>;
  path<S extends core.$ZodType>(schema: S): output<S>;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** JSON bodies of this API are small; anything larger is not a valid request. */
const maxBodyBytes = 1024 * 1024;

let defaultLogger: Logger | undefined;

/**
 * Wraps one operation as a Lambda handler for API Gateway HTTP API (payload v2) events:
 * caller from the verified JWT claims, validated input, JSON output, and every failure
 * rendered as epilot's ErrorObject. Internal errors are logged, never shown.
 */
export function httpHandler(
  operation: string,
  handle: (request: ApiRequest) => Promise<Reply>,
  logger: Logger = (defaultLogger ??= createLogger()),
): ApiHandler {
  return async (event, context) => {
    const started = performance.now();
    let reply: Reply;
    let caller: Caller | undefined;
    try {
      caller = callerOf(event);
      reply = await handle(requestOf(event, caller));
    } catch (error) {
      reply = errorReply(error);
      if (reply.status >= 500) {
        logger.log('error', 'request failed', {
          operation,
          error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
        });
      }
    }
    logger.log('info', 'request', {
      operation,
      route: event.routeKey,
      status: reply.status,
      duration_ms: Math.round(performance.now() - started),
      org: caller?.org,
      request_id: context?.awsRequestId ?? event.requestContext?.requestId,
    });
    return json(reply);
  };
}

function callerOf(event: ApiEvent): Caller {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  if (!claims) throw new UnauthorizedError();
  const org = claims.org_id;
  const userId = claims.sub;
  if ((typeof org !== 'string' && typeof org !== 'number') || String(org) === '') {
    throw new ForbiddenError('Forbidden: the token carries no org_id claim');
  }
  if (typeof userId !== 'string' || userId === '') {
    throw new ForbiddenError('Forbidden: the token carries no sub claim');
  }
  return { org: String(org), userId };
}

function requestOf(event: ApiEvent, caller: Caller): ApiRequest {
  return {
    caller,
    body: (schema) => validate(schema, parseJsonBody(event), 'body'),
    query: (schema) => validate(schema, event.queryStringParameters ?? {}, 'query'),
    path: (schema) => validate(schema, event.pathParameters ?? {}, 'path'),
  };
}

function parseJsonBody(event: ApiEvent): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > maxBodyBytes) {
    throw new PayloadTooLargeError(`Request body is larger than ${maxBodyBytes} bytes`);
  }
  if (text.trim() === '') throw new BadRequestError('Request body is required: send a JSON document');
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError('Request body is not valid JSON');
  }
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

function errorReply(error: unknown): Reply {
  if (error instanceof HttpError) return { status: error.status, body: error.toJSON() };
  return { status: 500, body: { status: 500, error: 'Internal server error' } };
}

function json(reply: Reply): ApiResult {
  return {
    statusCode: reply.status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(reply.body),
  };
}
