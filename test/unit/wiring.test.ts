import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { UrlOnlyObjectStore, objectBaseUrl, objectUrl } from '../../lambdas/adapters/object-urls';
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
  it('holds the S3 client only when its function may touch objects, and the DynamoDB client always', async () => {
    // Act
    const packages = await bundledPackages();

    // Assess
    for (const operation of operations) {
      const reachesObjects = operation.permissions.some((permission) => /^(temp|files):/.test(permission));
      const names = packages.get(operation.entry);
      expect({ entry: operation.entry, s3: names?.has('@aws-sdk/client-s3') }).toEqual({ entry: operation.entry, s3: reachesObjects });
      expect(names?.has('@aws-sdk/client-dynamodb')).toBe(true);
    }
    expect(packages.get('get-file')?.has('@aws-sdk/client-s3')).toBe(false);
  });
});

describe('object URLs without an S3 client', () => {
  it('are virtual-hosted on AWS and path-style on a local endpoint, each key segment encoded', () => {
    // Act
    const aws = objectUrl(objectBaseUrl({ bucket: 'b', region: 'eu-west-1' }), 'files/o/1/a b#.pdf');
    const local = objectUrl(objectBaseUrl({ bucket: 'b', region: 'eu-west-1', endpoint: 'http://127.0.0.1:4569/' }), 'files/o/1/x.pdf');

    // Assess
    expect(aws).toBe('https://b.s3.eu-west-1.amazonaws.com/files/o/1/a%20b%23.pdf');
    expect(local).toBe('http://127.0.0.1:4569/b/files/o/1/x.pdf');
  });

  it('come from a store that refuses every object call, as IAM refuses a function without object access', async () => {
    // Prepare
    const store = new UrlOnlyObjectStore('b', 'https://b.s3.eu-west-1.amazonaws.com');

    // Act
    const calls = [
      store.presignUpload(),
      store.presignDownload(),
      store.inspect(),
      store.copy(),
      store.delete(),
    ];

    // Assess
    expect(store.urlOf('files/o/1/x.pdf')).toBe('https://b.s3.eu-west-1.amazonaws.com/files/o/1/x.pdf');
    for (const call of calls) await expect(call).rejects.toThrow(/needs object access/);
  });
});
