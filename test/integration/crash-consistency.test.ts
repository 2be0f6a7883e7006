import { beforeAll, describe, expect, it } from 'vitest';
import type { FaultSpec, FrontCall } from '../../local/faults';
import { Api, putBytes, uploadFile } from './support/api';
import type { ApiResponse, Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * For every operation with more than one side effect, a fault is injected at each storage
 * call its Lambda makes, at the local S3 and DynamoDB fronts, over real HTTP: before the call
 * reaches storage (nothing happened) or after (it happened, the answer was lost). The fault
 * hits every SDK retry of that call. Then the client retries the request. Whatever failed,
 * the client sees success or a retryable 503, and the bucket and table end consistent: no
 * entity or version without its object, no object without its version, no version lost.
 * Calls a recovery makes only after a lost answer (re-reading the claim or the entity) are
 * broken too, together with the fault that sent the operation down that path.
 */

const context = useLocalStack({ sweepIntervalMs: 0 });
let scenario = 0;

/** A fresh org per scenario keeps scenarios apart in one bucket and table. */
async function newScenario(): Promise<{ org: string; api: Api }> {
  scenario += 1;
  const org = `crash-${scenario}`;
  return { org, api: new Api(context.stack.url, await context.stack.auth.sign({ org, user: 'tester' })) };
}

async function tempUpload(api: Api, text: string): Promise<Ticket['s3ref']> {
  const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'note.txt', mime_type: 'text/plain' });
  await putBytes(ticket.body.upload_url, Buffer.from(text), 'text/plain');
  return ticket.body.s3ref;
}

/** Everything the org has, checked for the invariants that must hold after any failure and retry. */
async function assertConsistent(org: string): Promise<{ files: Array<Record<string, unknown>>; versions: Array<Record<string, unknown>> }> {
  const { storage } = context;
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
  /** The Lambda whose storage calls are broken. */
  function: string;
  /** Prepares the scenario; returns the request to break and to retry. */
  prepare(api: Api): Promise<() => Promise<ApiResponse>>;
  /** Statuses the retry may answer. */
  retryStatuses: number[];
  /** What must hold after the failed attempt and its retry. */
  expectAfter(state: { files: Array<Record<string, unknown>>; versions: Array<Record<string, unknown>> }): void;
  /**
   * A retry does not adopt what a failed attempt copied (each copy is a new upload): its copy
   * is the orphan reaper's, run before the check as the expiry of the attempt's intent runs it.
   */
  reaped?: boolean;
}

const operations: Operation[] = [
  {
    name: 'saving a new file',
    function: 'saveFile',
    async prepare(api) {
      const s3ref = await tempUpload(api, 'first');
      return () => api.post('/v2/files', { s3ref, filename: 'note.txt' });
    },
    retryStatuses: [200, 201],
    expectAfter({ files, versions }) {
      expect(files).toHaveLength(1);
      expect(versions).toHaveLength(1);
    },
  },
  {
    name: 'saving a new version',
    function: 'saveFile',
    async prepare(api) {
      const file = await uploadFile(api, { filename: 'v1.txt', mimeType: 'text/plain', bytes: Buffer.from('one') });
      await uploadFile(api, { filename: 'v2.txt', mimeType: 'text/plain', bytes: Buffer.from('two'), id: file._id });
      const s3ref = await tempUpload(api, 'three');
      return () => api.post('/v2/files', { _id: file._id, s3ref });
    },
    retryStatuses: [200, 201],
    expectAfter({ files, versions }) {
      expect(files).toHaveLength(1);
      expect(files[0]?.latest_version).toBe(3);
      expect(versions).toHaveLength(3);
    },
  },
  {
    name: 'saving a multipart upload',
    function: 'saveFile',
    async prepare(api) {
      const ticket = await api.post<{ upload_id: string; s3ref: Ticket['s3ref'] }>('/v2/files/upload', {
        filename: 'parts.txt',
        mime_type: 'text/plain',
        upload_method: 'multipart',
      });
      const signed = await api.post<{ parts: Array<{ url: string }> }>(`/v1/files/upload/${ticket.body.upload_id}/parts`, { part_numbers: [1] });
      await fetch(signed.body.parts[0]?.url ?? '', { method: 'PUT', body: 'one part' });
      return () => api.post('/v2/files', { s3ref: ticket.body.s3ref });
    },
    retryStatuses: [200, 201],
    expectAfter({ files, versions }) {
      expect(files).toHaveLength(1);
      expect(versions).toHaveLength(1);
    },
  },
  {
    name: 'deleting a file with two versions',
    function: 'deleteFile',
    async prepare(api) {
      const file: Entity = await uploadFile(api, { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });
      await uploadFile(api, { filename: 'b.txt', mimeType: 'text/plain', bytes: Buffer.from('b'), id: file._id });
      return () => api.delete(`/v2/files/${file._id}`);
    },
    // A delete whose answer was lost is already done: its retry finds nothing to delete.
    retryStatuses: [200, 404],
    expectAfter({ files, versions }) {
      expect(files).toEqual([]);
      expect(versions).toEqual([]);
    },
  },
  {
    name: 'copying a file into a new file',
    function: 'copyFile',
    async prepare(api) {
      const file = await uploadFile(api, { filename: 'source.txt', mimeType: 'text/plain', bytes: Buffer.from('source') });
      return () => api.post(`/v2/files/${file._id}:copy`);
    },
    retryStatuses: [201],
    reaped: true,
    expectAfter({ files, versions }) {
      // The source, the retry's copy, and the failed attempt's copy if it was written before its answer was lost.
      expect([2, 3]).toContain(files.length);
      expect(versions).toHaveLength(files.length);
    },
  },
  {
    name: 'copying a file into a new version of another',
    function: 'copyFile',
    async prepare(api) {
      const source = await uploadFile(api, { filename: 'source.txt', mimeType: 'text/plain', bytes: Buffer.from('source') });
      const target = await uploadFile(api, { filename: 'target.txt', mimeType: 'text/plain', bytes: Buffer.from('target') });
      return () => api.post(`/v2/files/${source._id}:copy`, { file_entity_id: target._id });
    },
    retryStatuses: [200],
    reaped: true,
    expectAfter({ files, versions }) {
      expect(files).toHaveLength(2);
      expect([3, 4]).toContain(versions.length);
    },
  },
];

/** Each call with its occurrence among calls of the same action by the same function. */
function injectionPoints(calls: FrontCall[]): Array<FrontCall & { occurrence: number }> {
  const seen = new Map<string, number>();
  return calls.map((call) => {
    const id = `${call.function} ${call.service} ${call.action}`;
    const occurrence = (seen.get(id) ?? 0) + 1;
    seen.set(id, occurrence);
    return { ...call, occurrence };
  });
}

const describeFault = (faults: FaultSpec[]) =>
  faults.map((fault) => `${fault.service}:${fault.action} #${fault.occurrence ?? 1} ${fault.mode}`).join(' + ');

/** Runs the operation with these faults, then retries it cleanly, and checks the outcome. */
async function breakAndRetry(operation: Operation, faults: FaultSpec[]): Promise<FrontCall[]> {
  // Prepare
  const { stack } = context;
  const { org, api } = await newScenario();
  const run = await operation.prepare(api);
  stack.faults.clear();
  faults.forEach((fault) => stack.faults.inject(fault));

  // Act
  const first = await run();
  const calls = stack.faults.calls();
  stack.faults.clear();
  const retry = await run();

  // Assess
  const label = describeFault(faults);
  expect([200, 201, 503], `${label}: first attempt succeeds or asks for a retry (${JSON.stringify(first.body)})`).toContain(first.status);
  expect(operation.retryStatuses, `${label}: retry (${JSON.stringify(retry.body)})`).toContain(retry.status);
  // Past every intent's expiry (a day and an hour), before the claims' (two days): the
  // table's TTL hands the intents to the orphan reaper.
  if (operation.reaped) await stack.expireItems(new Date(Date.now() + 26 * 3600 * 1000));
  operation.expectAfter(await assertConsistent(org));
  return calls;
}

const reads = new Set(['GetItem', 'Query', 'GetObject', 'HeadObject']);

describe.each(operations)('$name', (operation) => {
  let points: Array<FrontCall & { occurrence: number }> = [];

  beforeAll(async () => {
    const { api } = await newScenario();
    const run = await operation.prepare(api);
    context.stack.faults.clear();
    expect((await run()).status).toBeLessThan(300);
    points = injectionPoints(context.stack.faults.calls()).filter((call) => call.function === operation.function);
  });

  it('has several storage calls to break', () => {
    expect(points.length).toBeGreaterThanOrEqual(3);
  });

  it.each(['before', 'after'] as const)(
    'ends consistent when any one call fails %s reaching storage and the request is retried',
    async (mode) => {
      for (const point of points) {
        const fault: FaultSpec = { service: point.service, action: point.action, function: point.function, occurrence: point.occurrence, mode };
        const calls = await breakAndRetry(operation, [fault]);
        if (mode !== 'after') continue;
        // Reads the recovery makes after this lost answer, beyond those of a clean run.
        const recovery = injectionPoints(calls).filter(
          (call) =>
            call.function === operation.function &&
            reads.has(call.action) &&
            !points.some((clean) => clean.service === call.service && clean.action === call.action && clean.occurrence === call.occurrence),
        );
        for (const read of recovery) {
          await breakAndRetry(operation, [
            fault,
            { service: read.service, action: read.action, function: read.function, occurrence: read.occurrence, mode: 'before' },
          ]);
        }
      }
    },
  );
});
