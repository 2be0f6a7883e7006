import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { httpHandler } from '../../../lambdas/http/handler';
import type { ApiRequest, Reply } from '../../../lambdas/http/handler';
import { createLogger } from '../../../lambdas/http/logger';
import { apiEvent, bodyOf } from '../handlers/events';
import type { EventOptions } from '../handlers/events';

/** A pipeline around `handle` with its log lines captured and metrics disabled. */
function pipeline(handle: (request: ApiRequest) => Promise<Reply> = async (request) => ({ status: 200, body: request.caller })) {
  const lines: string[] = [];
  const handler = httpHandler('echo', handle, createLogger((line) => lines.push(line), 'info'), new Metrics());
  const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { handler, logged, call: (options: EventOptions = {}) => handler(apiEvent(options)) };
}

/** EMF lines a Metrics instance writes, captured as Powertools' docs suggest (dev mode writes to console). */
function capturedMetrics(): { metrics: Metrics; emitted: () => Array<Record<string, unknown>> } {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'FileService');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'file-service');
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const metrics = new Metrics();
  return { metrics, emitted: () => log.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>) };
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('the tenant claim', () => {
  it('reads the org from the claim TENANT_CLAIM names', async () => {
    // Prepare
    vi.stubEnv('TENANT_CLAIM', 'custom:org_id');
    const { call } = pipeline();

    // Act
    const result = await call({ claims: { 'custom:org_id': 'org-7', org_id: 'not-this-one', sub: 'u-1' } });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ org: 'org-7', userId: 'u-1', apiUrl: 'https://api.example.com' });
  });

  it('answers 403 naming the configured claim when the token lacks it', async () => {
    // Prepare
    vi.stubEnv('TENANT_CLAIM', 'custom:org_id');
    const { call } = pipeline();

    // Act
    const result = await call({ claims: { org_id: 'org-7', sub: 'u-1' } });

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ status: 403, error: 'Forbidden: the token carries no custom:org_id claim' });
  });

  it('checks the claims before the body, so a caller without an org learns that first', async () => {
    // Prepare
    const { call } = pipeline();

    // Act
    const result = await call({ rawBody: '{broken', claims: { sub: 'u-1' } });

    // Assess
    expect(result.statusCode).toBe(403);
  });
});

describe('the JSON body', () => {
  it('is parsed whatever content type the client sent', async () => {
    // Prepare
    const { handler } = pipeline(async (request) => ({ status: 200, body: request.body(z.object({ name: z.string() })) }));
    const event = apiEvent({ body: { name: 'x' } });
    event.headers = { 'content-type': 'text/plain' };

    // Act
    const result = await handler(event);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ name: 'x' });
  });
});

describe('errors', () => {
  it('answers 503 with a generic retry message when storage timed out on a read', async () => {
    // Prepare
    const timeout = Object.assign(new Error('socket timed out after 3000 ms talking to dynamodb.internal:8000'), { name: 'TimeoutError' });
    const { call, logged } = pipeline(async () => {
      throw timeout;
    });

    // Act
    const result = await call();

    // Assess
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result)).toEqual({ status: 503, error: expect.stringMatching(/retry/) });
    expect(result.body).not.toContain('dynamodb.internal');
    expect(logged().find((line) => line.level === 'error')).toMatchObject({ error: { name: 'TimeoutError' } });
  });

  it('answers 503 itself shortly before the Lambda timeout instead of letting API Gateway answer', async () => {
    // Prepare
    const { handler } = pipeline(() => new Promise(() => undefined));
    const context = { awsRequestId: 'r-1', functionName: 'fn', getRemainingTimeInMillis: () => 700 };

    // Act
    const started = Date.now();
    const result = await handler(apiEvent(), context);

    // Assess
    expect(result.statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(700);
  });
});

describe('request logs', () => {
  it('carry request id, cold start, operation and org on every line, errors included', async () => {
    // Prepare
    const { handler, logged } = pipeline(async () => {
      throw new Error('boom');
    });
    const context = { awsRequestId: 'lambda-request-1' };

    // Act
    await handler(apiEvent(), context);
    await handler(apiEvent(), context);

    // Assess
    const lines = logged();
    expect(lines.map((line) => line.level)).toEqual(['error', 'info', 'error', 'info']);
    for (const line of lines) {
      expect(line).toMatchObject({ request_id: 'lambda-request-1', operation: 'echo', org: '123', time: expect.any(String) });
    }
    expect(lines.map((line) => line.cold_start)).toEqual([true, true, false, false]);
    expect(lines[1]).toMatchObject({ message: 'request', status: 500, route: 'POST /v1/files', duration_ms: expect.any(Number) });
  });

  it('respect LOG_LEVEL', async () => {
    // Prepare
    vi.stubEnv('LOG_LEVEL', 'warn');
    const lines: string[] = [];
    const handler = httpHandler('echo', async () => ({ status: 200, body: {} }), createLogger((line) => lines.push(line)), new Metrics());

    // Act
    await handler(apiEvent());

    // Assess
    expect(lines).toEqual([]);
  });
});

describe('metrics', () => {
  it('publish what the operation counted under its operation dimension', async () => {
    // Prepare
    const { metrics, emitted } = capturedMetrics();
    const handler = httpHandler(
      'saveFile',
      async (request) => {
        request.metric('saves', 'Count', 1);
        request.metric('bytesSaved', 'Bytes', 2048);
        return { status: 201, body: {} };
      },
      createLogger(() => undefined),
      metrics,
    );

    // Act
    await handler(apiEvent(), { functionName: 'save-fn' });

    // Assess
    const business = emitted().find((line) => 'saves' in line);
    expect(business).toMatchObject({ service: 'file-service', operation: 'saveFile', saves: 1, bytesSaved: 2048 });
    expect(business?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: 'FileService',
          Dimensions: [['service', 'operation']],
          Metrics: expect.arrayContaining([
            { Name: 'saves', Unit: 'Count' },
            { Name: 'bytesSaved', Unit: 'Bytes' },
          ]),
        },
      ],
    });
    expect(emitted().find((line) => 'ColdStart' in line)).toMatchObject({ function_name: 'save-fn' });
  });

  it('count errors by operation and status class, without the business metrics of the failed request', async () => {
    // Prepare
    const { metrics, emitted } = capturedMetrics();
    const handler = httpHandler(
      'uploadFile',
      async (request) => {
        request.metric('uploads', 'Count', 1);
        request.body(z.object({ filename: z.string() }));
        return { status: 201, body: {} };
      },
      createLogger(() => undefined),
      metrics,
    );

    // Act
    await handler(apiEvent({ body: { filename: 7 } }));

    // Assess
    const errors = emitted().filter((line) => 'errors' in line);
    expect(errors).toEqual([expect.objectContaining({ operation: 'uploadFile', status_class: '4xx', errors: 1 })]);
    expect(errors[0]?._aws).toMatchObject({ CloudWatchMetrics: [{ Dimensions: [['service', 'operation', 'status_class']] }] });
    expect(emitted().some((line) => 'uploads' in line)).toBe(false);
  });

  it('count one request once, even when the same event object is invoked twice', async () => {
    // Prepare
    const { metrics, emitted } = capturedMetrics();
    const handler = httpHandler('uploadFile', async (request) => {
      request.metric('uploads', 'Count', 1);
      return { status: 201, body: {} };
    }, createLogger(() => undefined), metrics);
    const event = apiEvent();

    // Act
    await handler(event);
    await handler(event);

    // Assess
    expect(emitted().filter((line) => 'uploads' in line).map((line) => line.uploads)).toEqual([1, 1]);
  });

  it('write nothing when POWERTOOLS_METRICS_DISABLED is set, as in tests and npm start', async () => {
    // Prepare
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const write = vi.spyOn(process.stdout, 'write');
    const handler = httpHandler('uploadFile', async (request) => {
      request.metric('uploads', 'Count', 1);
      return { status: 201, body: {} };
    }, createLogger(() => undefined), new Metrics());

    // Act
    await handler(apiEvent());

    // Assess
    expect(write.mock.calls.some(([chunk]) => String(chunk).includes('CloudWatchMetrics'))).toBe(false);
  });
});
