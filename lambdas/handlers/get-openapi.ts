import { publicHttpHandler } from '../http/handler';
import { openApiDocument } from '../http/openapi';
import type { OpenApiDocument } from '../http/openapi';

/** Built on the first request, then kept for the container's life: the code it describes does not change. */
let document: OpenApiDocument | undefined;

/**
 * getOpenApiDocument (no token): the API's OpenAPI 3.1 document, its `servers` the address the
 * client called (custom domain and stage included), cacheable for five minutes.
 */
export const handler = publicHttpHandler('getOpenApiDocument', async (request) => {
  document ??= openApiDocument();
  return {
    status: 200,
    body: { ...document, servers: [{ url: request.apiUrl }] },
    headers: { 'cache-control': 'public, max-age=300' },
  };
});
