import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ApiEvent, ApiResult } from '../lambdas/http/handler';
import type { Operation } from '../lambdas/operations';
import type { LocalRoute } from './api';
import type { ReplyMessage } from './function-worker';

/** What API Gateway's HTTP API answers when the Lambda invocation itself fails. */
export const integrationFailure: ApiResult = {
  statusCode: 500,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Internal Server Error' }),
};

export interface LocalFunction {
  readonly name: string;
  invoke(event: ApiEvent): Promise<ApiResult>;
  /** Starts the worker now, so the first request does not pay the cold start. */
  warm(): Promise<void>;
  stop(): Promise<void>;
}

const runtime = fileURLToPath(new URL('./function-worker.ts', import.meta.url));
// Workers load TypeScript through tsx, as `npm start` does; resolved here, not in the worker,
// because an eval'd worker has no module of its own to resolve from.
const tsxApi = pathToFileURL(
  createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs'),
).href;
const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(
  pathToFileURL(runtime).href,
)}, ${JSON.stringify(pathToFileURL(runtime).href)}))`;

/**
 * One operation's handler in its own worker thread with its own environment, as Lambda runs
 * each function in its own execution environment with its role's credentials. Invocations
 * are messages; a worker that dies fails its pending invocations as Lambda would, and the
 * next invocation starts a fresh one (a new cold start).
 */
export function startLocalFunction(
  operation: Pick<Operation, 'name' | 'entry'>,
  env: Record<string, string>,
  handlerFile = fileURLToPath(new URL(`../lambdas/handlers/${operation.entry}.ts`, import.meta.url)),
): LocalFunction {
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
      const thread = new Worker(bootstrap, { eval: true, env, workerData: { handlerUrl: pathToFileURL(handlerFile).href } });
      thread.on('message', (message: ReplyMessage | 'ready') => {
        if (message === 'ready') return resolve(thread);
        const answer = pending.get(message.id);
        pending.delete(message.id);
        // A handler that throws is a function error: API Gateway hides it behind a 500.
        answer?.('result' in message ? message.result : integrationFailure);
      });
      thread.on('error', (error) => {
        reject(error);
        if (!stopped) console.error(`local function ${operation.name} crashed: ${error.message}`);
      });
      thread.on('exit', () => {
        worker = undefined;
        reject(new Error(`local function ${operation.name} exited while starting`));
        failAll();
      });
    });

  return {
    name: operation.name,
    async invoke(event) {
      if (stopped) return integrationFailure;
      let thread: Worker;
      try {
        thread = await (worker ??= start());
      } catch {
        worker = undefined;
        return integrationFailure;
      }
      const id = nextId++;
      return new Promise<ApiResult>((resolve) => {
        pending.set(id, resolve);
        thread.postMessage({ id, event });
      });
    },
    async warm() {
      await (worker ??= start());
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
    return operation.routes.map((route) => ({ ...route, handler: (event: ApiEvent) => fn.invoke(event) }));
  });
}
