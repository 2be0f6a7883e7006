import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/get-openapi';
import { apiEvent } from './events';
import type { ApiEvent } from '../../../lambdas/http/types';

/** A request for the document as API Gateway passes it: no authorizer, at a domain and a stage. */
function documentRequest(domainName: string, stage: string, forwardedProto?: string): ApiEvent {
  const event = apiEvent({ routeKey: 'GET /openapi.json', claims: null });
  event.requestContext.domainName = domainName;
  event.requestContext.stage = stage;
  if (forwardedProto) event.headers['x-forwarded-proto'] = forwardedProto;
  return event;
}

describe('getOpenApiDocument', () => {
  it('answers the document without a token, its server the address it was asked at, cacheable for five minutes', async () => {
    // Act
    const result = await handler(documentRequest('files.example.com', 'prod'));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    const document = JSON.parse(result.body ?? '{}') as { openapi: string; servers: unknown; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: 'https://files.example.com/prod' }]);
    expect(Object.keys(document.paths)).toContain('/openapi.json');
  });

  it('names each caller\'s own address, also after the document was built once', async () => {
    // Act
    const first = await handler(documentRequest('a.example.com', '$default'));
    const second = await handler(documentRequest('localhost:3000', '$default', 'http'));

    // Assess
    expect((JSON.parse(first.body ?? '{}') as { servers: unknown }).servers).toEqual([{ url: 'https://a.example.com' }]);
    expect((JSON.parse(second.body ?? '{}') as { servers: unknown }).servers).toEqual([{ url: 'http://localhost:3000' }]);
  });
});
