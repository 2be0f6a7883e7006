/**
 * Runs inside a worker thread: one operation's handler, as one Lambda function. The worker
 * has its own environment (its own credentials), so its SDK clients sign as that function.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ApiEvent, ApiHandler, ApiResult } from '../lambdas/http/handler';

export interface InvokeMessage {
  id: number;
  event: ApiEvent;
}

export type ReplyMessage = { id: number; result: ApiResult } | { id: number; error: string };

const { handlerUrl } = workerData as { handlerUrl: string };
const port = parentPort;
if (!port) throw new Error('local/function-worker.ts runs only as a worker thread');

const { handler } = (await import(handlerUrl)) as { handler: ApiHandler };

port.on('message', ({ id, event }: InvokeMessage) => {
  handler(event).then(
    (result) => port.postMessage({ id, result } satisfies ReplyMessage),
    (error: unknown) =>
      port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies ReplyMessage),
  );
});
port.postMessage('ready');
