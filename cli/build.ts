import { chmod } from 'node:fs/promises';
import { build } from 'esbuild';

/*
 * Builds the command line into one plain-JS file, dist/cli.js (`npm run build`, run by
 * `npm ci` through `prepare`), the `file-service` bin of package.json.
 */
const outfile = 'dist/cli.js';
await build({
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
