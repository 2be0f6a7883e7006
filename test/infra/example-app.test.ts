import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { operations } from '../../lambdas/operations';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The README's example CDK app, exactly as a reader copies it. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const block = /<!-- construct-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- construct-example:end -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no construct-example block');
  return block;
}

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; }>;
  Outputs?: Record<string, unknown>;
}

describe('the package as another CDK app uses it', () => {
  // Below the repository, so the app resolves aws-cdk-lib from the same node_modules (one copy,
  // as npm installs it), but with a package.json of its own: it reaches the service only by
  // the package's name and exports, as an installed dependency.
  const apps = join(root, 'node_modules', '.cache');
  let appDir: string | undefined;

  afterAll(async () => {
    if (appDir) await rm(appDir, { recursive: true, force: true });
  });

  it('synthesises the README example app, with every function bundled from the package', { timeout: 240_000 }, async () => {
    // Prepare
    await mkdir(apps, { recursive: true });
    appDir = await mkdtemp(join(apps, 'example-app-'));
    await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'orders', private: true, type: 'module', dependencies: { 'serverless-file-service': '*' } }));
    await mkdir(join(appDir, 'node_modules'));
    await symlink(root, join(appDir, 'node_modules', 'serverless-file-service'), 'dir');
    await writeFile(join(appDir, 'app.ts'), await readmeExample());
    const outdir = join(appDir, 'cdk.out');

    // Act
    await run(join(root, 'node_modules', '.bin', 'tsx'), ['app.ts'], {
      cwd: appDir,
      env: { ...process.env, CDK_OUTDIR: outdir },
      maxBuffer: 64 * 1024 * 1024,
    });

    // Assess
    const template = JSON.parse(await readFile(join(outdir, 'Orders.template.json'), 'utf8')) as Template;
    const resources = Object.values(template.Resources);
    const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
    const routes = resources.filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route');
    expect(resources.filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Api')).toHaveLength(1);
    expect(resources.filter((resource) => resource.Type === 'AWS::DynamoDB::Table')).toHaveLength(1);
    expect(routes).toHaveLength(operations.flatMap((operation) => operation.routes).length);
    expect(Object.keys(template.Outputs ?? {}).some((name) => name.startsWith('FilesApiUrl'))).toBe(true);
    // A bundled function's code is the asset `asset.<hash>` whose zip the template names.
    const assetOf = (fn: Template['Resources'][string]) => /^([0-9a-f]{64})\.zip$/.exec(String((fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key))?.[1];
    const assetDirs = functions.map(assetOf).filter((hash): hash is string => hash !== undefined).map((hash) => `asset.${hash}`);
    // One function per operation, the orphan reaper, the event publisher, the previews ahead and
    // the session authorizer; CDK's own helper functions carry inline code instead.
    expect(assetDirs).toHaveLength(operations.length + 4);
    for (const dir of assetDirs) expect(await readdir(join(outdir, dir))).toContain('index.mjs');
    const previewAsset = functions.find((fn) => JSON.stringify(fn.Properties?.Description ?? '').includes('preview'));
    expect(existsSync(join(outdir, `asset.${previewAsset ? assetOf(previewAsset) : ''}`, 'node_modules', 'sharp'))).toBe(true);
  });
});
