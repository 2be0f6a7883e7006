import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventsFront, type EventsFront } from '../../../local/events-front';
import { LocalIam } from '../../../local/iam/principals';
import { permissionGrants } from '../../../lib/permissions';

const region = 'us-east-1';
const admin = { accessKeyId: 'ADMINKEY', secretAccessKey: 'admin-secret' };
const busArn = 'arn:aws:events:us-east-1:000000000000:event-bus/files';
const arns = { tableArn: 'arn:table', bucketArn: 'arn:aws:s3:::b', eventBusArn: busArn };
const iam = new LocalIam(admin, [
  { name: 'publisher', grants: permissionGrants(['events:put'], arns) },
  { name: 'reader', grants: permissionGrants(['table:get'], arns) },
]);
let front: EventsFront;

function clientAs(credentials: { accessKeyId: string; secretAccessKey: string }): EventBridgeClient {
  return new EventBridgeClient({ endpoint: front.endpoint, region, credentials, maxAttempts: 1 });
}

const entry = (detail: unknown = { file_id: 'f1' }) => ({
  EventBusName: 'files',
  Source: 'file-service',
  DetailType: 'FileCreated',
  Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
});

beforeAll(async () => {
  front = await startEventsFront({ busName: 'files', region, iam });
});

afterAll(async () => {
  await front.stop();
});

describe('the local EventBridge front', () => {
  it('puts an allowed entry on the bus as the event a target receives', async () => {
    // Prepare
    const client = clientAs(iam.credentialsOf('publisher'));

    // Act
    const result = await client.send(new PutEventsCommand({ Entries: [{ ...entry({ file_id: 'put-1' }), Time: new Date('2026-01-02T03:04:05.678Z') }] }));

    // Assess
    expect(result.FailedEntryCount).toBe(0);
    const event = await front.waitFor((candidate) => candidate.detail.file_id === 'put-1', 1000);
    expect(event).toEqual({
      version: '0',
      id: result.Entries?.[0]?.EventId,
      'detail-type': 'FileCreated',
      source: 'file-service',
      account: '000000000000',
      time: '2026-01-02T03:04:05Z',
      region,
      resources: [],
      detail: { file_id: 'put-1' },
    });
    client.destroy();
  });

  it('refuses a caller whose policy does not allow events:PutEvents on the bus, and keeps nothing', async () => {
    // Prepare
    const client = clientAs(iam.credentialsOf('reader'));
    const before = front.received().length;

    // Act
    const attempt = client.send(new PutEventsCommand({ Entries: [entry()] }));

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`is not authorized to perform: events:PutEvents on resource: ${busArn}`),
    });
    expect(front.received()).toHaveLength(before);
    expect(iam.denied()).toContainEqual({ function: 'reader', service: 'events', action: 'events:PutEvents', resource: busArn });
    client.destroy();
  });

  it('refuses a request signed with the wrong secret', async () => {
    // Prepare
    const client = clientAs({ accessKeyId: admin.accessKeyId, secretAccessKey: 'not-the-secret' });

    // Act / Assess
    await expect(client.send(new PutEventsCommand({ Entries: [entry()] }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });

  it('fails only the entries that are malformed, as EventBridge reports them', async () => {
    // Prepare
    const client = clientAs(iam.credentialsOf('publisher'));

    // Act
    const result = await client.send(new PutEventsCommand({ Entries: [entry('not json'), entry({ file_id: 'good' }), entry('[1]')] }));

    // Assess
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries?.map((answer) => answer.ErrorCode ?? 'ok')).toEqual(['InvalidArgument', 'ok', 'InvalidArgument']);
    expect(front.received().filter((event) => event.detail.file_id === 'good')).toHaveLength(1);
    client.destroy();
  });

  it('accepts an event for a bus that does not exist and delivers it nowhere, as EventBridge does', async () => {
    // Prepare
    const client = clientAs(admin);
    const before = front.received().length;

    // Act
    const result = await client.send(new PutEventsCommand({ Entries: [{ ...entry(), EventBusName: 'elsewhere' }] }));

    // Assess
    expect(result).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(front.received()).toHaveLength(before);
    client.destroy();
  });

  it('says what it received when no matching event arrives in time', async () => {
    await expect(front.waitFor((event) => event.detail.file_id === 'never', 50)).rejects.toThrow(/No matching event on the local bus within 50 ms/);
  });
});

describe('function targets of the local EventBridge front', () => {
  it('invokes a matching target asynchronously with the event, once when it succeeds', async () => {
    // Prepare
    const client = clientAs(iam.credentialsOf('publisher'));
    const invoked: string[] = [];
    const remove = front.addTarget({
      name: 'renderer',
      source: 'file-service',
      detailTypes: ['FileCreated'],
      invoke: async (event) => (invoked.push(String(event.detail.file_id)), true),
    });

    // Act
    await client.send(new PutEventsCommand({ Entries: [entry({ file_id: 'target-1' }), { ...entry({ file_id: 'target-2' }), DetailType: 'FileUpdated' }] }));
    const delivery = await front.waitForDelivery((candidate) => candidate.event.detail.file_id === 'target-1', 5000);

    // Assess
    expect({ target: delivery.target, ok: delivery.ok, attempts: delivery.attempts }).toEqual({ target: 'renderer', ok: true, attempts: 1 });
    expect(invoked).toEqual(['target-1']);
    remove();
    client.destroy();
  });

  it('invokes a failing target again, three times in all, then gives the event up as a dead letter', async () => {
    // Prepare
    const client = clientAs(iam.credentialsOf('publisher'));
    let calls = 0;
    const remove = front.addTarget({
      name: 'failing',
      source: 'file-service',
      detailTypes: ['FileCreated'],
      invoke: async () => {
        calls += 1;
        if (calls === 2) throw new Error('the worker crashed');
        return false;
      },
    });

    // Act
    await client.send(new PutEventsCommand({ Entries: [entry({ file_id: 'target-3' })] }));
    const delivery = await front.waitForDelivery((candidate) => candidate.event.detail.file_id === 'target-3', 5000);

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts, calls }).toEqual({ ok: false, attempts: 3, calls: 3 });
    remove();
    client.destroy();
  });

  it('succeeds on a later attempt after a failure, and invokes a removed target no more', async () => {
    // Prepare
    const client = clientAs(iam.credentialsOf('publisher'));
    let calls = 0;
    const remove = front.addTarget({ name: 'flaky', source: 'file-service', detailTypes: ['FileCreated'], invoke: async () => (calls += 1) > 1 });

    // Act
    await client.send(new PutEventsCommand({ Entries: [entry({ file_id: 'target-4' })] }));
    const delivery = await front.waitForDelivery((candidate) => candidate.event.detail.file_id === 'target-4', 5000);
    remove();
    await client.send(new PutEventsCommand({ Entries: [entry({ file_id: 'target-5' })] }));
    await front.waitFor((event) => event.detail.file_id === 'target-5', 1000);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts }).toEqual({ ok: true, attempts: 2 });
    expect(calls).toBe(2);
    expect(front.deliveries().some((candidate) => candidate.event.detail.file_id === 'target-5')).toBe(false);
    client.destroy();
  });
});
