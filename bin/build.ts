/**
 * `npm run build` (also run by `npm ci` through `prepare`): the package's JavaScript in dist/.
 * `dist/cli.js` is the `file-service` command line (see cli/build.ts), `dist/console/` the web
 * console's static files (console/build.ts).
 * `dist/cdk.js` is the CDK construct for apps that import the package; it sits one folder
 * below the package root, as lib/ does, so it finds lambdas/handlers and the installed
 * packages the same way. Dependencies stay imports (`packages: 'external'`).
 */
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { join } from 'node:path';
import { buildCli } from '../cli/build';
import { buildConsole } from '../console/build';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

export async function buildPackage(): Promise<void> {
  await rm(new URL('../dist/', import.meta.url), { recursive: true, force: true });
  await build({
    absWorkingDir: projectRoot,
    entryPoints: { cdk: 'lib/index.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  await buildCli(projectRoot);
  // What the CDK's WebConsole deploys (the `webConsole` prop); npm start builds its own at start.
  await buildConsole(join(projectRoot, 'dist', 'console'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildPackage().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
