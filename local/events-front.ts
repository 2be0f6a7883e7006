import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import type { Faults } from './faults';
import type { LocalIam, Principal } from './iam/principals';
import { localAccount } from './iam/principals';
import { readSignedRequest } from './s3/sigv4';

/** An event as EventBridge delivers it to its targets, an API destination's POST body included. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface LocalWebhook {
  url: string;
  /** Sent with `secret` on every delivery, as an API destination's API-key connection does. */
  secretHeaderName?: string;
  secret?: string;
}

/**
 * A rule with a Lambda function as its target: events of `source` with one of `detailTypes`
 * are handed to `invoke`, asynchronously, as EventBridge invokes a function (Lambda's
 * asynchronous invocation).
 */
export interface LocalEventTarget {
  name: string;
  source: string;
  detailTypes: readonly string[];
  /** Runs the function on the event; resolves false when the invocation failed (a function error). */
  invoke(event: BusEvent): Promise<boolean>;
}

/** How one event's delivery to a target ended. */
export interface TargetDelivery {
  target: string;
  event: BusEvent;
  /** Invocations made: 1 when the first succeeded. */
  attempts: number;
  /** False when every attempt failed: on AWS the event would be in the dead-letter queue. */
  ok: boolean;
}

export interface EventsFrontOptions {
  /** The one bus that exists locally, by name. */
  busName: string;
  region: string;
  iam: LocalIam;
  faults?: Faults;
  /** Each event the bus accepts is appended here as one JSON line. */
  eventsFile?: string;
  /** Each event is POSTed here as JSON, after the bus accepted it. */
  webhook?: LocalWebhook;
  log?: (line: string) => void;
}

export interface EventsFront {
  endpoint: string;
  busArn: string;
  /** Every event the bus accepted, in order. */
  received(): BusEvent[];
  /** Resolves with the first event (already received or still to come) that matches. */
  waitFor(predicate: (event: BusEvent) => boolean, timeoutMs?: number): Promise<BusEvent>;
  /**
   * Adds a rule whose target is a function; it receives the events accepted from now on.
   * Answers the rule's removal: no new invocations, no more retries.
   */
  addTarget(target: LocalEventTarget): () => void;
  /** Every delivery to a target that ended, in the order they ended. */
  deliveries(): TargetDelivery[];
  /** Resolves with the first ended delivery (already or still to come) that matches. */
  waitForDelivery(predicate: (delivery: TargetDelivery) => boolean, timeoutMs?: number): Promise<TargetDelivery>;
  stop(): Promise<void>;
}

/** PutEvents takes 1 to 10 entries. */
const maxEntries = 10;
/** Tries of one webhook delivery; an API destination retries for up to a day, locally a few seconds. */
const webhookAttempts = 5;
const maxKept = 10_000;
/**
 * Invocations of a function target per event: Lambda runs an asynchronous invocation that
 * fails twice more (a minute, then two minutes later); locally the waits are short.
 */
const targetAttempts = 3;
const targetRetryDelaysMs = [200, 1000];

/**
 * Amazon EventBridge's PutEvents (the JSON 1.1 `AWSEvents.PutEvents` call), as the publishing
 * function meets it on AWS: the SigV4 signature and the caller's IAM policy are checked
 * (`events:PutEvents` on the bus ARN), faults can be injected like at the other fronts, and
 * an accepted entry becomes the event a rule's target receives: appended to a file, POSTed
 * to a webhook, handed to the functions whose rules match it. Like EventBridge, an allowed call naming a bus that does not exist succeeds
 * and the event goes nowhere. Listens on loopback only.
 */
export async function startEventsFront(options: EventsFrontOptions): Promise<EventsFront> {
  const log = options.log ?? (() => {});
  const busArn = `arn:aws:events:${options.region}:${localAccount}:event-bus/${options.busName}`;
  const events: BusEvent[] = [];
  const waiters = new Set<{ predicate: (event: BusEvent) => boolean; resolve: (event: BusEvent) => void }>();
  // Deliveries and file appends run one after another, in the order the bus accepted the events.
  let outbox: Promise<void> = Promise.resolve();
  // Function targets are invoked each on its own, as Lambda runs asynchronous invocations.
  const targets = new Set<LocalEventTarget>();
  const invocations = new Set<Promise<void>>();
  const deliveries: TargetDelivery[] = [];
  const deliveryWaiters = new Set<{ predicate: (delivery: TargetDelivery) => boolean; resolve: (delivery: TargetDelivery) => void }>();
  let stopping = false;
  const ended = (delivery: TargetDelivery) => {
    if (deliveries.length >= maxKept) deliveries.shift();
    deliveries.push(delivery);
    for (const waiter of deliveryWaiters) {
      if (!waiter.predicate(delivery)) continue;
      deliveryWaiters.delete(waiter);
      waiter.resolve(delivery);
    }
  };
  const invokeTarget = async (target: LocalEventTarget, event: BusEvent): Promise<void> => {
    let attempts = 0;
    const live = () => !stopping && targets.has(target);
    while (attempts < targetAttempts && live()) {
      if (attempts > 0) await new Promise((resolve) => setTimeout(resolve, targetRetryDelaysMs[attempts - 1] ?? 1000).unref());
      attempts += 1;
      const ok = await target.invoke(event).catch(() => false);
      if (ok) return ended({ target: target.name, event, attempts, ok });
    }
    if (!live()) return;
    log(`local events: ${event['detail-type']} ${event.id} failed in ${target.name} ${attempts} times; on AWS it would be in the dead-letter queue`);
    ended({ target: target.name, event, attempts, ok: false });
  };
  if (options.eventsFile) await mkdir(dirname(options.eventsFile), { recursive: true });

  const accept = (event: BusEvent) => {
    if (events.length >= maxKept) events.shift();
    events.push(event);
    for (const waiter of waiters) {
      if (!waiter.predicate(event)) continue;
      waiters.delete(waiter);
      waiter.resolve(event);
    }
    for (const target of targets) {
      if (event.source !== target.source || !target.detailTypes.includes(event['detail-type'])) continue;
      const invocation = invokeTarget(target, event).finally(() => invocations.delete(invocation));
      invocations.add(invocation);
    }
    outbox = outbox.then(async () => {
      if (options.eventsFile) await appendFile(options.eventsFile, `${JSON.stringify(event)}\n`).catch((error: Error) => log(`local events: ${error.message}`));
      if (options.webhook) await deliver(options.webhook, event, log);
    });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { body, verdict } = await readSignedRequest(req, {
      credentials: (id) => options.iam.principal(id)?.credentials.secretAccessKey,
      region: options.region,
      service: 'events',
    });
    if (!verdict.ok) {
      const type = verdict.code === 'InvalidAccessKeyId' ? 'UnrecognizedClientException' : 'InvalidSignatureException';
      return sendJson(res, 400, { __type: type, message: verdict.message });
    }
    const principal = options.iam.principal(verdict.accessKeyId) as Principal;
    const operation = /^AWSEvents\.(\w+)$/.exec(String(req.headers['x-amz-target'] ?? ''))?.[1];
    if (operation !== 'PutEvents') return sendJson(res, 400, { __type: 'UnknownOperationException', message: `${operation ?? 'no operation'} is not supported locally` });
    let input: { Entries?: unknown };
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as { Entries?: unknown };
    } catch {
      return sendJson(res, 400, { __type: 'SerializationException', message: 'Malformed JSON' });
    }
    const entries = Array.isArray(input.Entries) ? (input.Entries as Array<Record<string, unknown>>) : [];
    if (entries.length < 1 || entries.length > maxEntries) {
      return sendJson(res, 400, {
        __type: 'ValidationException',
        message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${maxEntries}`,
      });
    }

    const invocation = req.headers['amz-sdk-invocation-id'];
    const fault =
      options.faults?.decide({ function: principal.name, service: 'events', action: operation }, typeof invocation === 'string' ? invocation : undefined) ?? 'pass';
    if (fault === 'before') return void req.socket.destroy();

    for (const resource of new Set(entries.map((entry) => arnOf(entry.EventBusName, options.region)))) {
      if (options.iam.authorize(principal, 'events', 'events:PutEvents', resource)) continue;
      return sendJson(res, 400, {
        __type: 'AccessDeniedException',
        Message: `User: ${principal.arn} is not authorized to perform: events:PutEvents on resource: ${resource} because no identity-based policy allows the events:PutEvents action`,
      });
    }

    const answers = entries.map((entry) => {
      const problem = invalidEntry(entry);
      if (problem) return { ErrorCode: 'InvalidArgument', ErrorMessage: problem };
      const id = randomUUID();
      if (arnOf(entry.EventBusName, options.region) === busArn) accept(busEvent(id, entry, options.region));
      return { EventId: id };
    });
    if (fault === 'after') return void req.socket.destroy();
    sendJson(res, 200, { FailedEntryCount: answers.filter((answer) => 'ErrorCode' in answer).length, Entries: answers });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    busArn,
    received: () => [...events],
    waitFor(predicate, timeoutMs = 10_000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (event: BusEvent) => {
            clearTimeout(timer);
            resolve(event);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`No matching event on the local bus within ${timeoutMs} ms; received: ${events.map((e) => e['detail-type']).join(', ') || 'none'}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    addTarget(target) {
      targets.add(target);
      return () => void targets.delete(target);
    },
    deliveries: () => [...deliveries],
    waitForDelivery(predicate, timeoutMs = 10_000) {
      const seen = deliveries.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (delivery: TargetDelivery) => {
            clearTimeout(timer);
            resolve(delivery);
          },
        };
        const timer = setTimeout(() => {
          deliveryWaiters.delete(waiter);
          reject(new Error(`No matching delivery to a target within ${timeoutMs} ms; ended: ${deliveries.length}`));
        }, timeoutMs);
        deliveryWaiters.add(waiter);
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        server.close(() => resolve());
        server.closeAllConnections();
        // Deliveries still under way get a moment to finish; a webhook that hangs does not hold the stop.
      }).then(() =>
        Promise.race([Promise.all([outbox, ...invocations]).then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]),
      ),
  };
}

/** The ARN of a bus named in an entry: a name, an ARN, or nothing for the account's default bus. */
function arnOf(name: unknown, region: string): string {
  const value = typeof name === 'string' && name !== '' ? name : 'default';
  return value.startsWith('arn:') ? value : `arn:aws:events:${region}:${localAccount}:event-bus/${value}`;
}

function invalidEntry(entry: Record<string, unknown>): string | undefined {
  for (const field of ['Source', 'DetailType', 'Detail']) {
    if (typeof entry[field] !== 'string' || entry[field] === '') return `Parameter ${field} is not valid.`;
  }
  try {
    const detail: unknown = JSON.parse(entry.Detail as string);
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return 'Detail must be a JSON object.';
  } catch {
    return 'Detail is malformed.';
  }
  return undefined;
}

function busEvent(id: string, entry: Record<string, unknown>, region: string): BusEvent {
  // The SDK sends Time as epoch seconds; without it the event's time is when it was put.
  const time = typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : new Date();
  return {
    version: '0',
    id,
    'detail-type': entry.DetailType as string,
    source: entry.Source as string,
    account: localAccount,
    // EventBridge writes times to the second.
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: Array.isArray(entry.Resources) ? (entry.Resources as string[]) : [],
    detail: JSON.parse(entry.Detail as string) as Record<string, unknown>,
  };
}

/** POSTs an event, retrying what an API destination retries: network errors, 429 and 5xx. */
async function deliver(webhook: LocalWebhook, event: BusEvent, log: (line: string) => void): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (webhook.secret !== undefined) headers[webhook.secretHeaderName ?? 'x-webhook-secret'] = webhook.secret;
  let problem = '';
  for (let attempt = 1; attempt <= webhookAttempts; attempt += 1) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 2)));
    try {
      const answer = await fetch(webhook.url, { method: 'POST', headers, body: JSON.stringify(event), signal: AbortSignal.timeout(5000) });
      await answer.arrayBuffer().catch(() => undefined);
      if (answer.ok) return;
      problem = `HTTP ${answer.status}`;
      if (answer.status !== 429 && answer.status < 500) break;
    } catch (error) {
      problem = (error as Error).message;
    }
  }
  log(`local events: ${event['detail-type']} ${event.id} not delivered to ${webhook.url}: ${problem}`);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
