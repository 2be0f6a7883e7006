import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';
import { operations } from '../../lambdas/operations';
import { unbundledPackages } from '../../lib/unbundled-packages';
import { median, round } from './stats';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const handlersDir = join(root, 'lambdas', 'handlers');
const constructFile = join(root, 'lib', 'file-service.ts');

/** What lib/file-service.ts passes to NodejsFunction's bundling; read from it where it can be. */
export interface BundleOptions {
  target: string;
  banner: string;
  /** The function's NODE_OPTIONS on Lambda. */
  nodeOptions: string;
}

const fallback: BundleOptions = {
  target: 'node22',
  banner: "import { createRequire as __fsCreateRequire } from 'node:module';const require = __fsCreateRequire(import.meta.url);",
  nodeOptions: '--enable-source-maps',
};

/**
 * The bundling options of the CDK construct, taken from its source so the benchmark cannot
 * drift from what is deployed (falls back to the values it had when this was written).
 */
export async function constructBundleOptions(): Promise<BundleOptions> {
  const source = await readFile(constructFile, 'utf8');
  const target = /target:\s*'([^']+)'/.exec(source)?.[1] ?? fallback.target;
  const banner = /banner:\s*"([^"]+)"/.exec(source)?.[1] ?? fallback.banner;
  const nodeOptions = /NODE_OPTIONS:\s*'([^']*)'/.exec(source)?.[1] ?? fallback.nodeOptions;
  return { target, banner, nodeOptions };
}

export interface Bundle {
  entry: string;
  file: string;
  /** A bundle that only imports and constructs the SDK clients this handler bundles. */
  floorFile: string;
  /** The SDK packages of the handler bundle that the floor imports. */
  sdkClients: string[];
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  /** Minified bytes per package, largest first. */
  packages: Array<{ name: string; bytes: number }>;
}

/**
 * Each handler bundled as NodejsFunction bundles it (format ESM, node22, minified, source map
 * without sources, AWS SDK bundled, module-first main fields, createRequire banner), written
 * as index.mjs like the Lambda asset. Packages the preview function carries beside its bundle
 * (`unbundledPackages`) stay external and are found through a node_modules link to the
 * project's, as the asset's own node_modules holds them; the sizes count the bundle only.
 */
export async function bundleHandlers(options: BundleOptions): Promise<{ dir: string; bundles: Bundle[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-bundles-'));
  try {
    // Without code splitting every entry point is still its own self-contained bundle, as
    // NodejsFunction builds them one by one; one build just parses the shared modules once.
    const common: BuildOptions = {
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: options.target,
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      banner: { js: options.banner },
      external: [...unbundledPackages],
      logLevel: 'error',
    };
    const { metafile } = await build({
      ...common,
      entryPoints: Object.fromEntries(operations.map(({ entry }) => [`${entry}/index`, join(handlersDir, `${entry}.ts`)])),
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      metafile: true,
    });
    if (!metafile) throw new Error('esbuild returned no metafile');
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const bundles = await Promise.all(
      operations.map(async ({ entry }): Promise<Bundle> => {
        const file = join(dir, entry, 'index.mjs');
        const code = await readFile(file);
        const output = Object.entries(metafile.outputs).find(([path]) => resolve(path) === file)?.[1];
        const packages = packageSizes(output?.inputs ?? {});
        const sdkClients = floorClients.filter((client) => packages.some(({ name }) => name === client.package));
        const floorFile = join(dir, `${entry}-sdk-floor`, 'index.mjs');
        await build({ ...common, stdin: { contents: floorSource(sdkClients), resolveDir: root, loader: 'js' }, outfile: floorFile });
        return {
          entry,
          file,
          floorFile,
          sdkClients: sdkClients.map((client) => client.package),
          bytes: code.length,
          gzipBytes: gzipSync(code).length,
          mapBytes: (await stat(`${file}.map`)).size,
          packages,
        };
      }),
    );
    return { dir, bundles };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The SDK clients a handler can bundle and how the floor constructs each: the floor is what
 * loading these clients costs by itself, the least any handler using them can take.
 */
export const floorClients = [
  {
    package: '@aws-sdk/client-dynamodb',
    source: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nconst dynamodb = new DynamoDBClient({ region: 'us-east-1' });",
    value: 'dynamodb',
  },
  {
    package: '@aws-sdk/lib-dynamodb',
    source: "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nconst document = DynamoDBDocumentClient.from(dynamodb);",
    value: 'document',
  },
  {
    package: '@aws-sdk/client-s3',
    source: "import { S3Client } from '@aws-sdk/client-s3';\nconst s3 = new S3Client({ region: 'us-east-1' });",
    value: 's3',
  },
  {
    package: '@aws-sdk/s3-request-presigner',
    source: "import { getSignedUrl } from '@aws-sdk/s3-request-presigner';",
    value: 'getSignedUrl',
  },
] as const;

/** The floor's source: the clients' imports and constructors, kept alive so nothing is dropped. */
export function floorSource(clients: ReadonlyArray<(typeof floorClients)[number]>): string {
  const lines = clients.map((client) => client.source);
  return `${lines.join('\n')}\nglobalThis.sdkFloor = [${clients.map((client) => client.value).join(', ')}];\n`;
}

/** Minified bytes each package contributes to a bundle, largest first; the project's own code is "(project)". */
export function packageSizes(inputs: Record<string, { bytesInOutput: number }>): Array<{ name: string; bytes: number }> {
  const sizes = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const segments = path.replace(/\\/g, '/').split('node_modules/');
    const last = segments.length > 1 ? (segments[segments.length - 1] as string) : undefined;
    const name = last === undefined ? '(project)' : last.split('/').slice(0, last.startsWith('@') ? 2 : 1).join('/');
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  return [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Wall time of one fresh `node <args>` process, from spawn to exit. */
export function processWallMs(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      if (code === 0) resolvePromise(ms);
      else reject(new Error(`node ${args.join(' ')} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

export interface InitTimes {
  node_ms: number;
  /**
   * Per entry: median wall ms with the function's NODE_OPTIONS, and without any; and its SDK
   * floor's, with the same NODE_OPTIONS.
   */
  handlers: Record<string, { init_ms: number; sdk_floor_ms: number; init_ms_no_node_options?: number }>;
}

/**
 * Median of `runs` fresh processes each: `node -e 0`, `node <bundle>` (load the bundle,
 * which runs its top level as Lambda's init phase does, then exit) with and without the
 * function's NODE_OPTIONS, and `node <floor bundle>` with them. Runs interleave so drift
 * hits all alike; none run in parallel.
 */
export async function measureInit(
  bundles: Bundle[],
  options: { nodeOptions: string; runs: number; alsoWithoutNodeOptions: boolean },
): Promise<InitTimes> {
  const { nodeOptions, runs } = options;
  // Lambda runs Node 22, where the SDK prints no Node 20 support notice when a client is made.
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const withOptions: NodeJS.ProcessEnv = { ...base, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) };
  const nodeSamples: number[] = [];
  const samples = new Map(
    bundles.map((bundle) => [bundle.entry, { lambda: [] as number[], bare: [] as number[], floor: [] as number[] }]),
  );
  // Unrecorded: the first spawns pay for paging in the node binary.
  await processWallMs(['-e', '0'], base);
  if (bundles[0]) await processWallMs([bundles[0].file], withOptions);
  for (let run = 0; run < runs; run += 1) {
    nodeSamples.push(await processWallMs(['-e', '0'], base));
    for (const bundle of bundles) {
      const entry = samples.get(bundle.entry);
      if (!entry) continue;
      entry.lambda.push(await processWallMs([bundle.file], withOptions));
      entry.floor.push(await processWallMs([bundle.floorFile], withOptions));
      if (options.alsoWithoutNodeOptions) entry.bare.push(await processWallMs([bundle.file], base));
    }
  }
  return {
    node_ms: round(median(nodeSamples), 1),
    handlers: Object.fromEntries(
      [...samples].map(([entry, { lambda, bare, floor }]) => [
        entry,
        {
          init_ms: round(median(lambda), 1),
          sdk_floor_ms: round(median(floor), 1),
          ...(bare.length > 0 ? { init_ms_no_node_options: round(median(bare), 1) } : {}),
        },
      ]),
    ),
  };
}
