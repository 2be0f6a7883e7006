import type { LocalPage } from '../api';
import { bundleConsole, type ConsoleAsset } from '../../console/build';

export interface ConsolePagesOptions {
  /** `POST /local/token` is served: the console offers its one-click demo sign-in. */
  localSignIn: boolean;
}

/**
 * The web console at `/`, with its `config.json` and `assets/`. It is bundled on the first
 * request (esbuild, well under a second) and kept in memory; its API is this origin.
 */
export function consolePages(options: ConsolePagesOptions): LocalPage[] {
  let bundle: Promise<Map<string, ConsoleAsset>> | undefined;
  const assets = () => {
    bundle ??= bundleConsole().then((files) => new Map(files.map((file) => [`/${file.path}`, file])));
    // A failed build is retried on the next request rather than remembered.
    bundle.catch(() => (bundle = undefined));
    return bundle;
  };
  const config = JSON.stringify({ localSignIn: options.localSignIn });
  const serve = (path: (url: URL) => string): LocalPage['handle'] =>
    async (request, response, url) => {
      request.resume();
      const asset = (await assets()).get(path(url));
      if (!asset) {
        response.writeHead(404, { 'content-type': 'application/json' });
        return void response.end(JSON.stringify({ message: 'Not Found' }));
      }
      response.writeHead(200, {
        'content-type': asset.contentType,
        // Asset names carry a hash of their content; the page itself is always fetched again.
        'cache-control': asset.path === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      response.end(asset.body);
    };
  return [
    { method: 'GET', path: '/', handle: serve(() => '/index.html') },
    { method: 'GET', path: '/index.html', handle: serve(() => '/index.html') },
    { method: 'GET', path: '/assets/', handle: serve((url) => url.pathname) },
    {
      method: 'GET',
      path: '/config.json',
      async handle(request, response) {
        request.resume();
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        response.end(config);
      },
    },
  ];
}
