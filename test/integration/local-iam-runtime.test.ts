import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../lambdas/http/handler';
import { startLocalDynamoDb } from '../../local/dynamodb';
import { startLocalFunctions, type LocalFunction } from '../../local/functions';
import { freePort } from '../../local/ports';
import { putBytes, type Entity, type Ticket } from './support/api';
import { useLocalStack } from './support/stack';

const crashing = fileURLToPath(new URL('./support/crashing-handler.ts', import.meta.url));
const eventFor = (rawPath: string) => ({ rawPath }) as ApiEvent;

describe('local functions', () => {
  let fn: LocalFunction;
  beforeAll(async () => {
    [fn] = (await startLocalFunctions([
      { name: 'crashing', handlerFile: crashing, env: { ...(process.env as Record<string, string>), AWS_ACCESS_KEY_ID: 'OWNKEY' } },
    ])) as [LocalFunction];
  });
  afterAll(() => fn?.stop());

  it('runs each function in its own thread with its own credentials', async () => {
    // Act
    const result = await fn.invoke(eventFor('/'));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({ key: 'OWNKEY' });
    expect(JSON.parse(result.body ?? '{}').threadId).toBeGreaterThan(0);
  });

  it('answers a function error as API Gateway does: 500 {"message":"Internal Server Error"}', async () => {
    // Act
    const result = await fn.invoke(eventFor('/throw'));

    // Assess
    expect(result).toMatchObject({ statusCode: 500, body: '{"message":"Internal Server Error"}' });
  });

  it('answers an invocation whose runtime crashes with 500 and starts a fresh runtime for the next one', async () => {
    // Prepare
    const before = JSON.parse((await fn.invoke(eventFor('/'))).body ?? '{}') as { threadId: number };

    // Act
    const crashed = await fn.invoke(eventFor('/crash'));
    const after = await fn.invoke(eventFor('/'));

    // Assess
    expect(crashed).toMatchObject({ statusCode: 500, body: '{"message":"Internal Server Error"}' });
    expect(after.statusCode).toBe(200);
    expect(JSON.parse(after.body ?? '{}').threadId).not.toBe(before.threadId);
  });
});

describe('DynamoDB Local start-up', () => {
  const occupied: Server[] = [];
  afterAll(() => occupied.forEach((server) => server.close()));

  it('survives another process taking the chosen port before DynamoDB Local binds it', async () => {
    // Prepare: DynamoDB Local binds every interface; something already listens on the first port offered.
    const taken = createServer();
    occupied.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const takenPort = (taken.address() as { port: number }).port;
    const offered: number[] = [];
    const choosePort = async () => {
      const port = offered.length === 0 ? takenPort : await freePort();
      offered.push(port);
      return port;
    };

    // Act
    const dynamo = await startLocalDynamoDb({
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      region: 'us-east-1',
      choosePort,
    });
    await dynamo.stop();

    // Assess
    expect(offered[0]).toBe(takenPort);
    expect(offered.length).toBeGreaterThan(1);
    expect(dynamo.endpoint).toBe(`http://127.0.0.1:${offered.at(-1)}`);
  });
});

describe('faults injected at the storage fronts', () => {
  const context = useLocalStack({ sweepIntervalMs: 0 });

  async function uploaded(): Promise<Ticket> {
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'f.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('fault'), 'text/plain');
    return ticket.body;
  }

  it('lists the calls of a clean save, one per SDK invocation, to enumerate where to inject', async () => {
    // Prepare
    const ticket = await uploaded();
    context.stack.faults.clear();

    // Act
    expect((await context.api.post('/v2/files', { s3ref: ticket.s3ref })).status).toBe(201);

    // Assess
    expect(context.stack.faults.calls()).toEqual(
      expect.arrayContaining([
        { function: 'saveFile', service: 's3', action: 'GetObject' },
        { function: 'saveFile', service: 's3', action: 'CopyObject' },
        { function: 'saveFile', service: 'dynamodb', action: 'TransactWriteItems' },
        { function: 'saveFile', service: 's3', action: 'DeleteObject' },
      ]),
    );
  });

  it('fails a save whose copy never reaches S3, through every SDK retry, and the retried save succeeds', async () => {
    // Prepare
    const ticket = await uploaded();
    context.stack.faults.inject({ service: 's3', action: 'CopyObject', function: 'saveFile', mode: 'before' });

    // Act
    const failed = await context.api.post('/v2/files', { s3ref: ticket.s3ref });
    context.stack.faults.clear();
    const retried = await context.api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(failed.status).toBe(503);
    expect(retried.status).toBe(201);
    expect(await context.storage.exists(retried.body.s3ref.key)).toBe(true);
  });

  it('recognises a transaction that committed although its answer was lost', async () => {
    // Prepare
    const ticket = await uploaded();
    context.stack.faults.inject({ service: 'dynamodb', action: 'TransactWriteItems', function: 'saveFile', mode: 'after' });

    // Act
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });
    context.stack.faults.clear();

    // Assess
    expect(saved.status).toBe(201);
    expect((await context.api.get<Entity>(`/v2/files/${saved.body._id}`)).body.versions).toHaveLength(1);
  });
});
