import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Builds the command line into one plain-JS file, `dist/cli.js`, the `file-service` bin of
 * package.json (part of `npm run build`, which `npm ci` runs through `prepare`). Everything it
 * imports is bundled, so the bin runs with nothing but Node.
 */
export async function buildCli(projectRoot: string): Promise<void> {
  const outfile = join(projectRoot, 'dist', 'cli.js');
  await build({
    absWorkingDir: projectRoot,
    entryPoints: ['cli/bin.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // commander is CommonJS: give the bundle a require for the built-ins it asks for.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  });
  await chmod(outfile, 0o755);
}
