import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../local/events-front';
import type { LocalStackOptions } from '../../local/stack';
import { putBytes, uploadFile, type Entity, type Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * File events on the local stack, as on AWS: the handlers write the table, DynamoDB Local's
 * stream carries the committed changes, the publishEvents function (its own IAM policy)
 * puts them on the local EventBridge, which records them, appends them to a file and POSTs
 * them to a webhook.
 */

const text = (content: string, filename = 'note.txt') => ({ filename, mimeType: 'text/plain', bytes: Buffer.from(content) });

/** A webhook endpoint: every POST it received, with its headers. */
const deliveries: Array<{ headers: IncomingHttpHeaders; body: BusEvent }> = [];
let webhook: Server;
let dir: string;
const options: LocalStackOptions = { sweepIntervalMs: 0, ttlIntervalMs: 0 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-events-'));
  webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as BusEvent });
      res.writeHead(200).end();
    });
  });
  webhook.listen(0, '127.0.0.1');
  await once(webhook, 'listening');
  // Read when the stack starts, in the hook after this one.
  options.eventsFile = join(dir, 'events.ndjson');
  options.eventsWebhook = { url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`, secretHeaderName: 'x-api-key', secret: 'hook-secret' };
});

const context = useLocalStack(options);

afterAll(async () => {
  webhook?.close();
  await rm(dir, { recursive: true, force: true });
});

function eventsOf(fileId: string): BusEvent[] {
  return context.stack.events.received().filter((event) => event.detail.file_id === fileId);
}

function waitForEvent(fileId: string, type: string): Promise<BusEvent> {
  return context.stack.events.waitFor((event) => event.detail.file_id === fileId && event['detail-type'] === type, 15_000);
}

describe('file events', () => {
  it('announces create, new version, metadata update and delete of one file, in that order, each once', async () => {
    // Prepare / Act
    const { api } = context;
    const relations = [{ entity_id: 'order-42', _tags: ['invoice'] }];
    const file = await uploadFile(api, { ...text('first'), extra: { relations } });
    await waitForEvent(file._id, 'FileCreated');
    const second = await uploadFile(api, { ...text('second version', 'note-v2.txt'), id: file._id });
    await waitForEvent(file._id, 'FileVersionAdded');
    const renamed = await api.patch<Entity>(`/v2/files/${file._id}`, { filename: 'renamed.txt' });
    expect(renamed.status).toBe(200);
    await waitForEvent(file._id, 'FileUpdated');
    expect((await api.delete(`/v2/files/${file._id}`)).status).toBe(200);
    await waitForEvent(file._id, 'FileDeleted');

    // Assess
    expect(eventsOf(file._id).map((event) => [event['detail-type'], event.detail.version, event.detail.filename])).toEqual([
      ['FileCreated', 1, 'note.txt'],
      ['FileVersionAdded', 2, 'note-v2.txt'],
      ['FileUpdated', undefined, 'renamed.txt'],
      ['FileDeleted', undefined, 'renamed.txt'],
    ]);
    const [created, versioned, updated, deleted] = eventsOf(file._id);
    expect(created).toMatchObject({ source: 'file-service', version: '0', account: '000000000000', region: context.stack.region });
    expect(created?.detail).toEqual({
      org: 'org-a',
      file_id: file._id,
      version: 1,
      filename: 'note.txt',
      mime_type: 'text/plain',
      size_bytes: 5,
      relations,
      actor: 'alice',
      at: file._created_at,
    });
    expect(versioned?.detail).toMatchObject({ size_bytes: 14, relations, actor: 'alice', at: second._updated_at });
    expect(updated?.detail).toMatchObject({ size_bytes: 14, relations, actor: 'alice', at: renamed.body._updated_at });
    expect(deleted?.detail).toMatchObject({ org: 'org-a', actor: 'alice', relations });
    expect(Date.parse(String(deleted?.detail.at))).toBeGreaterThanOrEqual(Date.parse(String(renamed.body._updated_at)));
  });

  it('announces a metadata-only save (an _id and no s3ref) as FileUpdated by its author, without a version', async () => {
    // Prepare
    const { api, stack } = context;
    const file = await uploadFile(api, text('metadata'));
    await waitForEvent(file._id, 'FileCreated');
    const carol = api.withToken(await stack.auth.sign({ org: 'org-a', user: 'carol' }));

    // Act
    const saved = await carol.post<Entity>('/v2/files', { _id: file._id, filename: 'renamed.txt', relations: [{ entity_id: 'contact-7' }] });
    const updated = await waitForEvent(file._id, 'FileUpdated');

    // Assess
    expect(saved.status).toBe(200);
    expect(updated.detail).toEqual({
      org: 'org-a',
      file_id: file._id,
      filename: 'renamed.txt',
      mime_type: 'text/plain',
      size_bytes: 8,
      relations: [{ entity_id: 'contact-7' }],
      actor: 'carol',
      at: saved.body._updated_at,
      changed: ['filename', 'relations'],
    });
    expect(eventsOf(file._id).map((event) => event['detail-type'])).toEqual(['FileCreated', 'FileUpdated']);
  });

  it('still announces a save when publishing fails until the stream delivers the change again', async () => {
    // Prepare: the next four PutEvents (every try of one invocation) are lost before EventBridge.
    // A fault that fires ends the search, so each of these takes the first call the ones before it let pass.
    const { api, stack } = context;
    stack.faults.clear();
    for (let fault = 1; fault <= 4; fault += 1) {
      stack.faults.inject({ service: 'events', action: 'PutEvents', function: 'publishEvents', mode: 'before' });
    }

    // Act
    const file = await uploadFile(api, text('despite the crash'));
    const created = await waitForEvent(file._id, 'FileCreated');
    const calls = stack.faults.calls().filter((call) => call.service === 'events');
    stack.faults.clear();

    // Assess: the function gave up, the stream delivered the record again, and the event arrived.
    expect(calls.length).toBeGreaterThanOrEqual(5);
    expect(created.detail).toMatchObject({ file_id: file._id, version: 1 });
    expect(eventsOf(file._id).length).toBeGreaterThanOrEqual(1);
  });

  it('announces a save at least once when EventBridge took the event but its answer was lost', async () => {
    // Prepare
    const { api, stack } = context;
    stack.faults.clear();
    stack.faults.inject({ service: 'events', action: 'PutEvents', function: 'publishEvents', mode: 'after' });

    // Act
    const file = await uploadFile(api, text('answer lost'));
    await waitForEvent(file._id, 'FileCreated');
    const marker = await uploadFile(api, text('after it'));
    await waitForEvent(marker._id, 'FileCreated');
    stack.faults.clear();

    // Assess: a duplicate is allowed (at least once); every copy says the same.
    const copies = eventsOf(file._id);
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(new Set(copies.map((event) => JSON.stringify(event.detail))).size).toBe(1);
  });

  it('announces nothing for a save that failed', async () => {
    // Prepare: bytes that refute the type the upload was signed for.
    const { api } = context;
    const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'fake.png' });
    expect((await putBytes(ticket.body.upload_url, Buffer.from('<svg onload="alert(1)"/>'), 'image/png')).status).toBe(200);
    const failedId = ticket.body.s3ref.key.split('/')[2] ?? '';

    // Act
    const refused = await api.post<Entity>('/v2/files', { s3ref: ticket.body.s3ref, filename: 'fake.png' });
    // The stream is in order: once a later save is announced, the refused one would have been.
    const later = await uploadFile(api, text('later'));
    await waitForEvent(later._id, 'FileCreated');

    // Assess
    expect(refused.status).toBe(415);
    expect(eventsOf(failedId)).toEqual([]);
    expect(context.stack.events.received().filter((event) => event.detail.filename === 'fake.png')).toEqual([]);
  });

  it('POSTs each event as JSON to the webhook with its secret header, and appends it to the events file', async () => {
    // Act
    const file = await uploadFile(context.api, text('hooked'));
    const created = await waitForEvent(file._id, 'FileCreated');
    const deadline = Date.now() + 10_000;
    while (!deliveries.some((delivery) => delivery.body.id === created.id) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Assess
    const delivery = deliveries.find((candidate) => candidate.body.id === created.id);
    expect(delivery?.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': 'hook-secret' });
    expect(delivery?.body).toEqual(created);
    const lines = (await readFile(options.eventsFile ?? '', 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as BusEvent);
    expect(lines).toContainEqual(created);
  });

  it('announces nothing when TTL removes the items around a saved file, and the file stays', async () => {
    // Prepare
    const { api, stack } = context;
    const file = await uploadFile(api, text('kept'));
    await waitForEvent(file._id, 'FileCreated');

    // Act: TTL, three days on, removes the upload's claim; a later save marks where the stream is.
    expect(await stack.expireItems(new Date(Date.now() + 3 * 24 * 3600 * 1000))).toBeGreaterThanOrEqual(1);
    const marker = await uploadFile(api, text('marker'));
    await waitForEvent(marker._id, 'FileCreated');

    // Assess
    expect(eventsOf(file._id).map((event) => event['detail-type'])).toEqual(['FileCreated']);
    expect((await api.get(`/v2/files/${file._id}`)).status).toBe(200);
  });
});
