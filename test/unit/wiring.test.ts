import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { NoObjectStore } from '../../lambdas/adapters/no-object-store';
import { operations } from '../../lambdas/operations';

const handlersDir = resolve(import.meta.dirname, '..', '..', 'lambdas', 'handlers');

/** The npm packages each handler's bundle holds, bundled as the Lambda bundles it. */
async function bundledPackages(): Promise<Map<string, Set<string>>> {
  const { metafile } = await build({
    entryPoints: Object.fromEntries(operations.map(({ entry }) => [entry, join(handlersDir, `${entry}.ts`)])),
    outdir: 'out',
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'error',
  });
  const packages = new Map<string, Set<string>>();
  for (const [path, output] of Object.entries(metafile.outputs)) {
    const entry = /([^/]+)\.js$/.exec(path)?.[1];
    if (!entry) continue;
    const names = new Set<string>();
    for (const input of Object.keys(output.inputs)) {
      const last = input.split('node_modules/').at(-1) ?? '';
      if (last !== input) names.add(last.split('/').slice(0, last.startsWith('@') ? 2 : 1).join('/'));
    }
    packages.set(entry, names);
  }
  return packages;
}

describe('each handler bundle', () => {
  it('holds the S3 client only when its function may touch objects, and the DynamoDB client unless it touches no storage at all', async () => {
    // Act
    const packages = await bundledPackages();

    // Assess
    for (const operation of operations) {
      const reachesObjects = operation.permissions.some((permission) => /^(temp|files):/.test(permission));
      const names = packages.get(operation.entry);
      expect({ entry: operation.entry, s3: names?.has('@aws-sdk/client-s3') }).toEqual({ entry: operation.entry, s3: reachesObjects });
      expect(names?.has('@aws-sdk/client-dynamodb'), operation.entry).toBe(operation.permissions.length > 0);
    }
    expect(packages.get('get-file')?.has('@aws-sdk/client-s3')).toBe(false);
  });
});

describe('the object store of a function without object access', () => {
  it('refuses every object call, as IAM refuses such a function', async () => {
    // Prepare
    const store = new NoObjectStore('b');

    // Act
    const calls = [
      store.presignUpload(),
      store.presignDownload(),
      store.inspect(),
      store.copy(),
      store.delete(),
    ];

    // Assess
    expect(store.bucket).toBe('b');
    for (const call of calls) await expect(call).rejects.toThrow(/needs object access/);
  });
});
