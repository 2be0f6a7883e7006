import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { LocalPage } from '../api';

/**
 * `GET /docs`: the API's reference, rendered by Swagger UI (the npm package swagger-ui-dist,
 * served from node_modules, so it works offline) from `GET /openapi.json`. With the local
 * sign-in on, "Try it out" calls the API as the local demo user: the page asks
 * `POST /local/token` for a token and sends it with every request that carries none.
 */
export function docsPages(options: { signIn: boolean }): LocalPage[] {
  return [
    {
      method: 'GET',
      path: '/docs',
      async handle(_request, response) {
        send(response, 200, 'text/html; charset=utf-8', page(options.signIn));
      },
    },
    {
      method: 'GET',
      path: '/docs/',
      async handle(_request, response, url) {
        const name = url.pathname.slice('/docs/'.length);
        const asset = assets[name];
        if (!asset) return send(response, 404, 'application/json', JSON.stringify({ status: 404, error: 'Not Found' }));
        send(response, 200, asset, await readFile(join(swaggerUiDir(), name)));
      },
    },
  ];
}

/** The files of swagger-ui-dist the page loads, and their types; nothing else of the package is served. */
const assets: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

let directory: string | undefined;
function swaggerUiDir(): string {
  directory ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  return directory;
}

function page(signIn: boolean): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>File API reference</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script>
      const localToken = ${signIn ? "fetch('/local/token', { method: 'POST' }).then((answer) => answer.ok ? answer.json() : {}).then((body) => body.token).catch(() => undefined)" : 'Promise.resolve(undefined)'};
      window.ui = SwaggerUIBundle({
        url: '/openapi.json',
        dom_id: '#reference',
        deepLinking: true,
        validatorUrl: null,
        displayOperationId: true,
        tryItOutEnabled: false,
        presets: [SwaggerUIBundle.presets.apis],
        layout: 'BaseLayout',
        requestInterceptor: async (request) => {
          const token = await localToken;
          const sameOrigin = new URL(request.url, location.href).origin === location.origin;
          if (token && sameOrigin && !request.headers.Authorization && !request.headers.authorization) request.headers.Authorization = 'Bearer ' + token;
          return request;
        },
      });
    </script>
  </body>
</html>
`;
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
  response.end(body);
}
