import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ForbiddenError } from '../../../lambdas/core/errors';
import { httpHandler, publicHttpHandler } from '../../../lambdas/http/handler';
import { createLogger } from '../../../lambdas/http/logger';
import { redirectTo } from '../../../lambdas/http/redirect';
import { apiEvent, bodyOf } from '../handlers/events';

const quietLogger = () => {
  const lines: string[] = [];
  return { lines, logger: createLogger((line) => lines.push(line), 'debug') };
};

describe('publicHttpHandler', () => {
  it('runs its operation for a request without an authorizer context, and answers a redirect without a body', async () => {
    // Prepare
    const { logger, lines } = quietLogger();
    const handler = publicHttpHandler('openThing', async (request) => redirectTo(`${request.apiUrl}/elsewhere`), logger);

    // Act
    const result = await handler(apiEvent({ routeKey: 'GET /v1/files/public/{id}', claims: null }));

    // Assess
    expect(result).toEqual({
      statusCode: 302,
      headers: { location: 'https://api.example.com/elsewhere', 'cache-control': 'no-store' },
    });
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({ operation: 'openThing', status: 302 });
  });

  it('renders the operation’s refusals as {status, error}, as every route does', async () => {
    // Prepare
    const { logger } = quietLogger();
    const handler = publicHttpHandler('openThing', async () => {
      throw new ForbiddenError('File is not publicly accessible');
    }, logger);

    // Act
    const result = await handler(apiEvent({ claims: null }));

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ status: 403, error: 'File is not publicly accessible' });
  });

  it('reads an optional body: absent is undefined, present is validated', async () => {
    // Prepare
    const { logger } = quietLogger();
    const handler = publicHttpHandler('echo', async (request) => ({
      status: 200,
      body: { got: request.optionalBody(z.object({ n: z.number() })) ?? null },
    }), logger);

    // Act
    const [absent, present, invalid] = await Promise.all([
      handler(apiEvent({ claims: null })),
      handler(apiEvent({ claims: null, body: { n: 1 } })),
      handler(apiEvent({ claims: null, body: { n: 'one' } })),
    ]);

    // Assess
    expect(bodyOf(absent)).toEqual({ got: null });
    expect(bodyOf(present)).toEqual({ got: { n: 1 } });
    expect(invalid.statusCode).toBe(400);
  });

  it('leaves httpHandler refusing a request without claims', async () => {
    // Prepare
    const { logger } = quietLogger();
    const handler = httpHandler('private', async () => ({ status: 200, body: {} }), logger);

    // Act
    const result = await handler(apiEvent({ claims: null }));

    // Assess
    expect(result.statusCode).toBe(401);
  });
});
