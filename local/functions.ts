import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { ApiEvent, ApiResult } from '../lambdas/http/handler';
import type { Operation } from '../lambdas/operations';
import { gatewayAnswers, type LocalRoute } from './api';
import type { ReplyMessage } from './function-worker';
import { unbundledPackages } from '../lib/unbundled-packages';

/** What API Gateway's HTTP API answers when the Lambda invocation itself fails. */
export const integrationFailure: ApiResult = {
  statusCode: gatewayAnswers.internalError.status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: gatewayAnswers.internalError.message }),
};

export interface LocalFunction {
  readonly name: string;
  invoke(event: ApiEvent): Promise<ApiResult>;
  stop(): Promise<void>;
}

export interface FunctionSpec {
  name: string;
  /** The TypeScript module exporting `handler`. */
  handlerFile: string;
  /** The function's whole environment, its own credentials included. */
  env: Record<string, string>;
}

const runtimeFile = fileURLToPath(new URL('./function-worker.ts', import.meta.url));

/**
 * Written below the project's node_modules, so that the bundles find the packages left out
 * of them (lib/unbundled-packages.ts) there.
 */
const bundlesDirectory = fileURLToPath(new URL('../node_modules/.cache/', import.meta.url));

/** The handler file Lambda runs for an operation. */
export function handlerFileOf(operation: Pick<Operation, 'entry'>): string {
  return fileURLToPath(new URL(`../lambdas/handlers/${operation.entry}.ts`, import.meta.url));
}

/**
 * Each function's handler in its own worker thread with its own environment, as Lambda runs
 * each function in its own execution environment with its role's credentials. The handlers
 * are bundled first, as the CDK bundles them for Lambda, so a worker's cold start loads one
 * file instead of compiling TypeScript and reading the SDK's many modules. Invocations are
 * messages; a worker that dies fails its pending invocations as Lambda would, and the next
 * invocation starts a fresh one (a new cold start). Resolves once every worker is warm.
 */
export async function startLocalFunctions(specs: readonly FunctionSpec[]): Promise<LocalFunction[]> {
  await mkdir(bundlesDirectory, { recursive: true });
  const dir = await mkdtemp(join(bundlesDirectory, 'local-functions-'));
  let functions: LocalFunction[] = [];
  try {
    await build({
      entryPoints: {
        runtime: runtimeFile,
        ...Object.fromEntries(specs.map((spec) => [`handlers/${spec.name}`, spec.handlerFile])),
      },
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      sourcesContent: false,
      mainFields: ['module', 'main'],
      // Some CommonJS dependencies call require(); ESM bundles have no require of their own.
      banner: { js: "import { createRequire as __localCreateRequire } from 'node:module';const require = __localCreateRequire(import.meta.url);" },
      logLevel: 'error',
      external: [...unbundledPackages],
    });
    const runtime = join(dir, 'runtime.mjs');
    functions = specs.map((spec) => startLocalFunction(spec.name, runtime, join(dir, 'handlers', `${spec.name}.mjs`), spec.env));
    await Promise.all(functions.map((fn) => fn.invoke(warmUp)));
  } catch (error) {
    await Promise.all(functions.map((fn) => fn.stop()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const stopAll = async () => {
    await Promise.all(functions.map((fn) => fn.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  // Stopping any one stops them all and removes the bundles; callers stop each.
  let stopping: Promise<void> | undefined;
  return functions.map((fn) => ({ name: fn.name, invoke: (event) => fn.invoke(event), stop: () => (stopping ??= stopAll()) }));
}

/** A message the runtime answers without calling the handler: the worker is up and loaded. */
const warmUp = { warmUp: true } as unknown as ApiEvent;

function startLocalFunction(name: string, runtime: string, handler: string, env: Record<string, string>): LocalFunction {
  let worker: Promise<Worker> | undefined;
  let nextId = 1;
  const pending = new Map<number, (result: ApiResult) => void>();
  let stopped = false;

  const failAll = () => {
    for (const resolve of pending.values()) resolve(integrationFailure);
    pending.clear();
  };

  const start = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const thread = new Worker(runtime, {
        env,
        execArgv: ['--enable-source-maps'],
        workerData: { handlerUrl: pathToFileURL(handler).href },
      });
      thread.on('message', (message: ReplyMessage | 'ready') => {
        if (message === 'ready') return resolve(thread);
        const answer = pending.get(message.id);
        pending.delete(message.id);
        // A handler that throws is a function error: API Gateway hides it behind a 500.
        answer?.('result' in message ? message.result : integrationFailure);
      });
      thread.on('error', (error) => {
        reject(error);
        if (!stopped) console.error(`local function ${name} crashed: ${error.message}`);
      });
      thread.on('exit', () => {
        worker = undefined;
        reject(new Error(`local function ${name} exited while starting`));
        failAll();
      });
    });

  return {
    name,
    async invoke(event) {
      if (stopped) return integrationFailure;
      let thread: Worker;
      try {
        thread = await (worker ??= start());
      } catch {
        worker = undefined;
        return integrationFailure;
      }
      if (event === warmUp) return { statusCode: 200 };
      const id = nextId++;
      return new Promise<ApiResult>((resolve) => {
        pending.set(id, resolve);
        thread.postMessage({ id, event });
      });
    },
    async stop() {
      stopped = true;
      const thread = await worker?.catch(() => undefined);
      await thread?.terminate();
      failAll();
    },
  };
}

/** The routes of every operation, each bound to that operation's function. */
export function routesFor(operations: readonly Operation[], functions: readonly LocalFunction[]): LocalRoute[] {
  return operations.flatMap((operation) => {
    const fn = functions.find((candidate) => candidate.name === operation.name);
    if (!fn) throw new Error(`No local function for operation ${operation.name}`);
    return operation.routes.map((route) => ({
      ...route,
      ...(operation.public ? { public: true } : {}),
      ...(operation.cookie && route.method === 'GET' ? { cookie: true } : {}),
      handler: (event: ApiEvent) => fn.invoke(event),
    }));
  });
}
