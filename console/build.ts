import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One file of the console's static build, by its path below the site's root. */
export interface ConsoleAsset {
  path: string;
  contentType: string;
  body: Uint8Array;
}

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), 'src');

/**
 * The web console as static files: `index.html` and, under `assets/`, one script and one
 * stylesheet whose names carry a hash of their content (cache them forever; never cache
 * `index.html` for long). The app reads `config.json` beside `index.html` at run time.
 */
export async function bundleConsole(): Promise<ConsoleAsset[]> {
  const result = await build({
    entryPoints: [join(sourceDir, 'main.ts'), join(sourceDir, 'styles.css')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    outdir: 'assets',
    entryNames: '[name]-[hash]',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const outputs = result.outputFiles.map((file) => ({
    path: `assets/${file.path.split(/[\\/]/).pop()}`,
    body: file.contents,
  }));
  const script = outputs.find((file) => file.path.endsWith('.js'));
  const style = outputs.find((file) => file.path.endsWith('.css'));
  if (!script || !style) throw new Error('The console build made no script or no stylesheet');
  const template = await readFile(join(sourceDir, 'index.html'), 'utf8');
  const html = template.replace('%SCRIPT%', script.path).replace('%STYLE%', style.path);
  return [
    { path: 'index.html', contentType: 'text/html; charset=utf-8', body: new TextEncoder().encode(html) },
    { path: script.path, contentType: 'text/javascript; charset=utf-8', body: script.body },
    { path: style.path, contentType: 'text/css; charset=utf-8', body: style.body },
  ];
}

/** Writes the console's static build into `outDir` (created if missing), for S3 and CloudFront. */
export async function buildConsole(outDir: string): Promise<void> {
  for (const asset of await bundleConsole()) {
    const target = join(outDir, asset.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, asset.body);
  }
}
