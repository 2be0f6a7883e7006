import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageBudgets, worstCaseCallMs } from '../../lambdas/adapters/storage-budget';
import { handler as getFile } from '../../lambdas/handlers/get-file';
import { handler as saveFile } from '../../lambdas/handlers/save-file';
import { apiEvent, bodyOf } from './handlers/events';

/**
 * Storage that accepts connections and never answers: the handlers, with their real SDK
 * clients, must give up on their own and answer 503 before their Lambda's timeout.
 */
let server: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  Object.assign(process.env, {
    TABLE_NAME: 'files',
    BUCKET_NAME: 'bucket',
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'AKIDHUNGSTORAGE',
    AWS_SECRET_ACCESS_KEY: 'hung-storage-secret',
    S3_ENDPOINT: endpoint,
    DYNAMODB_ENDPOINT: endpoint,
  });
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const fileId = '9b2e7c1d-3f4a-4b5c-8d6e-7f8091a2b3c4';
/** Time for the pipeline itself and a busy test machine. */
const slackMs = 1_500;

describe('a storage service that never answers', () => {
  it('makes a read answer 503 within its budget, before its 10 s Lambda timeout', async () => {
    // Act
    const started = Date.now();
    const result = await getFile(apiEvent({ routeKey: 'GET /v2/files/{id}', path: { id: fileId } }));
    const elapsed = Date.now() - started;

    // Assess
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result)).toEqual({ status: 503, error: expect.stringMatching(/retry/) });
    expect(elapsed).toBeGreaterThanOrEqual(storageBudgets.read.requestTimeoutMs);
    expect(elapsed).toBeLessThan(worstCaseCallMs(storageBudgets.read) + slackMs);
    expect(elapsed).toBeLessThan(storageBudgets.read.lambdaTimeoutMs);
  });

  it('makes a save answer 503 within its budget, before its 29 s Lambda timeout', async () => {
    // Prepare
    const s3ref = { bucket: 'bucket', key: `temp/123/${fileId}/report.pdf` };

    // Act
    const started = Date.now();
    const result = await saveFile(apiEvent({ routeKey: 'POST /v2/files', body: { s3ref } }));
    const elapsed = Date.now() - started;

    // Assess
    expect(result.statusCode).toBe(503);
    expect(elapsed).toBeGreaterThanOrEqual(storageBudgets.write.requestTimeoutMs);
    expect(elapsed).toBeLessThan(worstCaseCallMs(storageBudgets.write) + slackMs);
    expect(elapsed).toBeLessThan(storageBudgets.write.lambdaTimeoutMs);
  });
});

describe('storage budgets', () => {
  it.each(Object.entries(storageBudgets))('let one %s call, retries included, end well before the Lambda timeout', (_name, budget) => {
    // Assess: room is left for the request's other work and its answer.
    expect(worstCaseCallMs(budget)).toBeLessThanOrEqual(budget.lambdaTimeoutMs * 0.75);
  });
});
