import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../lambdas/config';
import { HttpError } from '../../lambdas/core/errors';
import { FileService } from '../../lambdas/core/file-service';
import type { Caller } from '../../lambdas/core/model';
import type { FileRepository, ObjectStore } from '../../lambdas/core/ports';
import { createAdapters } from '../../lambdas/wiring';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';
import { Api, putBytes, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { FaultPlan } from './support/faults';
import type { Fault, FaultMode } from './support/faults';
import { Storage } from './support/storage';

/**
 * For every operation with more than one side effect, a failure is injected at each of its
 * storage calls in turn, before the call or after it (the answer lost), then the operation
 * is retried. Whatever step failed, the client sees success or a retryable 503, and the
 * bucket and table end consistent: no entity or version without its object, no object
 * without its version, no earlier version lost.
 */

let stack: LocalStack;
let storage: Storage;
let adapters: { repository: FileRepository; store: ObjectStore };
let scenario = 0;

beforeAll(async () => {
  stack = await startLocalStack({});
  storage = new Storage(stack);
  adapters = createAdapters(readConfig());
});

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

const storeSteps = ['inspect', 'copy', 'delete'] as const;
const repositorySteps = ['get', 'getVersion', 'listVersions', 'create', 'addVersion', 'markDeleting', 'remove', 'getClaim', 'recordIntent'] as const;

function service(plan: FaultPlan): FileService {
  return new FileService({
    repository: plan.wrap('repository', adapters.repository, repositorySteps),
    store: plan.wrap('store', adapters.store, storeSteps),
    limits: { maxUploadBytes: 1024 * 1024 },
  });
}

/** A fresh org per scenario keeps scenarios apart in one bucket and table. */
async function newScenario(): Promise<{ caller: Caller; api: Api }> {
  scenario += 1;
  const caller = { org: `crash-${scenario}`, userId: 'tester' };
  return { caller, api: new Api(stack.url, await stack.auth.sign({ org: caller.org, user: caller.userId })) };
}

async function tempUpload(api: Api, text: string): Promise<Ticket['s3ref']> {
  const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'note.txt', mime_type: 'text/plain' });
  await putBytes(ticket.body.upload_url, Buffer.from(text), 'text/plain');
  return ticket.body.s3ref;
}

/** Runs an operation; a failure must be an HttpError the client can act on (503: retry). */
async function attempt<T>(operation: () => Promise<T>): Promise<{ value?: T; status?: number }> {
  try {
    return { value: await operation() };
  } catch (error) {
    if (!(error instanceof HttpError)) throw new Error(`not a clear error: ${String(error)}`);
    return { status: error.status };
  }
}

/** Everything the org has, checked for the invariants that must hold after any failure and retry. */
async function assertConsistent(org: string): Promise<{ files: Array<Record<string, unknown>>; versions: Array<Record<string, unknown>> }> {
  const items = (await storage.documents()).filter((item) => String(item.pk).startsWith(`FILE#${org}#`));
  const objects = new Set((await storage.keys(`files/${org}/`)).map((line) => line.split(' ')[0]));
  const files = items.filter((item) => item.sk === 'FILE');
  const versions = items.filter((item) => String(item.sk).startsWith('VERSION#'));
  const keyOf = (item: Record<string, unknown>) => (item.s3ref as { key: string }).key;

  expect(files.filter((file) => file.status !== 'active'), 'no file is left half-deleted').toEqual([]);
  expect(files.map(keyOf).filter((key) => !objects.has(key)), 'no entity points at a missing object').toEqual([]);
  expect(versions.map(keyOf).filter((key) => !objects.has(key)), 'no version points at a missing object').toEqual([]);
  const referenced = new Set(versions.map(keyOf));
  expect([...objects].filter((key) => !referenced.has(key ?? '')), 'no object without its version').toEqual([]);
  for (const file of files) {
    const own = versions.filter((version) => version.pk === file.pk).map((version) => version.version);
    expect(own.sort((a, b) => Number(a) - Number(b)), 'versions 1..latest, none lost').toEqual(
      Array.from({ length: Number(file.latest_version) }, (_unused, index) => index + 1),
    );
  }
  return { files, versions };
}

interface Operation {
  name: string;
  prepare(api: Api): Promise<(service: FileService, caller: Caller) => Promise<unknown>>;
  /** What must hold after the failed attempt and its retry. */
  expectAfter(state: { files: Array<Record<string, unknown>>; versions: Array<Record<string, unknown>> }): void;
}

const operations: Operation[] = [
  {
    name: 'saving a new file',
    async prepare(api) {
      const s3ref = await tempUpload(api, 'first');
      return (files, caller) => files.save(caller, { s3ref, filename: 'note.txt' }, { deleteTempFile: true, versionOnly: false });
    },
    expectAfter({ files, versions }) {
      expect(files).toHaveLength(1);
      expect(versions).toHaveLength(1);
    },
  },
  {
    name: 'saving a new version',
    async prepare(api) {
      const file = await uploadFile(api, { filename: 'v1.txt', mimeType: 'text/plain', bytes: Buffer.from('one') });
      await uploadFile(api, { filename: 'v2.txt', mimeType: 'text/plain', bytes: Buffer.from('two'), id: file._id });
      const s3ref = await tempUpload(api, 'three');
      return (files, caller) => files.save(caller, { id: file._id, s3ref }, { deleteTempFile: true, versionOnly: false });
    },
    expectAfter({ files, versions }) {
      expect(files).toHaveLength(1);
      expect(files[0]?.latest_version).toBe(3);
      expect(versions).toHaveLength(3);
    },
  },
  {
    name: 'deleting a file with two versions',
    async prepare(api) {
      const file: Entity = await uploadFile(api, { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });
      await uploadFile(api, { filename: 'b.txt', mimeType: 'text/plain', bytes: Buffer.from('b'), id: file._id });
      return (files, caller) => files.delete(caller, file._id);
    },
    expectAfter({ files, versions }) {
      expect(files).toEqual([]);
      expect(versions).toEqual([]);
    },
  },
];

describe.each(operations)('$name', (operation) => {
  let steps: Array<{ step: string; occurrence: number }> = [];

  beforeAll(async () => {
    const { caller, api } = await newScenario();
    const run = await operation.prepare(api);
    const plan = new FaultPlan();
    await run(service(plan), caller);
    steps = plan.steps();
  });

  it('has several storage steps to break', () => {
    expect(steps.length).toBeGreaterThanOrEqual(3);
  });

  it.each(['before', 'after'] as FaultMode[])(
    'ends consistent when any one step fails %s reaching storage and the operation is retried',
    async (mode) => {
      for (const { step, occurrence } of steps) {
        // Prepare
        const { caller, api } = await newScenario();
        const run = await operation.prepare(api);
        const fault: Fault = { step, occurrence, mode };

        // Act
        const first = await attempt(() => run(service(new FaultPlan(fault)), caller));
        const retry = await attempt(() => run(service(new FaultPlan()), caller));

        // Assess
        const context = `${step} #${occurrence} failing ${mode}`;
        expect([undefined, 503], `${context}: first attempt succeeds or asks for a retry`).toContain(first.status);
        if (operation.name.startsWith('deleting')) {
          // A delete whose answer was lost is already done: its retry finds nothing to delete.
          expect([undefined, 404], `${context}: retry`).toContain(retry.status);
        } else {
          expect(retry.status, `${context}: retry succeeds`).toBeUndefined();
        }
        operation.expectAfter(await assertConsistent(caller.org));
      }
    },
  );
});
