import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { eventSource, type FileEvent } from '../core/events';

/** PutEvents takes at most this many entries. */
export const putEventsBatchSize = 10;

export interface PublishOutcome {
  /** How many events, from the first, are on the bus; the rest must be published again. */
  published: number;
  /** Why the rest are not, when they are not. */
  error?: string;
}

export interface EventPublisherOptions {
  client: EventBridgeClient;
  /** The bus's name or ARN. */
  eventBusName: string;
  /** Tries per entry that EventBridge reports as failed (FailedEntryCount); default 4. */
  attempts?: number;
  /** First pause between those tries, doubling each time; default 100 ms. */
  baseDelayMs?: number;
}

/**
 * Puts file events on an EventBridge bus in order, ten per PutEvents call. PutEvents can
 * accept some entries of a call and refuse others (throttling, an internal error); only the
 * refused ones are sent again, a bounded number of times. The outcome says how far the events
 * got, so the caller can have the rest delivered again rather than lose them.
 */
export class EventBridgePublisher {
  private readonly attempts: number;
  private readonly baseDelayMs: number;

  constructor(private readonly options: EventPublisherOptions) {
    this.attempts = options.attempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 100;
  }

  async publish(events: readonly FileEvent[]): Promise<PublishOutcome> {
    for (let start = 0; start < events.length; start += putEventsBatchSize) {
      const batch = events.slice(start, start + putEventsBatchSize);
      const failure = await this.putBatch(batch.map((event) => this.entryOf(event)));
      if (failure) return { published: start + failure.firstUnpublished, error: failure.error };
    }
    return { published: events.length };
  }

  /** Undefined when every entry is on the bus; else the first entry that is not, and why. */
  private async putBatch(entries: PutEventsRequestEntry[]): Promise<{ firstUnpublished: number; error: string } | undefined> {
    let pending = entries.map((entry, index) => ({ entry, index }));
    let error = '';
    for (let attempt = 1; attempt <= this.attempts && pending.length > 0; attempt += 1) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, this.baseDelayMs * 2 ** (attempt - 2)));
      try {
        const result = await this.options.client.send(new PutEventsCommand({ Entries: pending.map((item) => item.entry) }));
        if (!result.FailedEntryCount) return undefined;
        // Answers come in the order of the entries sent; a refused entry carries an ErrorCode.
        const answers = result.Entries ?? [];
        const refused = pending.map((item, position) => ({ item, answer: answers[position] })).filter(({ answer }) => !answer?.EventId);
        error = refused.map(({ answer }) => `${answer?.ErrorCode ?? 'Unknown'}: ${answer?.ErrorMessage ?? 'no answer'}`).join('; ');
        pending = refused.map(({ item }) => item);
      } catch (thrown) {
        // The SDK already retried the call; whether any entry arrived is unknown, so all count as not.
        error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      }
    }
    if (pending.length === 0) return undefined;
    return { firstUnpublished: Math.min(...pending.map((item) => item.index)), error };
  }

  private entryOf(event: FileEvent): PutEventsRequestEntry {
    const at = new Date(event.detail.at);
    return {
      EventBusName: this.options.eventBusName,
      Source: eventSource,
      DetailType: event.type,
      Detail: JSON.stringify(event.detail),
      // The event's time is the write's, not the moment it was put on the bus.
      ...(Number.isNaN(at.getTime()) ? {} : { Time: at }),
    };
  }
}

/** The EventBridge client of this process; `endpoint` points at a local stand-in. */
export function createEventBridgeClient(options: { region: string; endpoint?: string | undefined }): EventBridgeClient {
  return new EventBridgeClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    // A stream batch waits on this call: fail in seconds and let the stream retry.
    requestHandler: { connectionTimeout: 2000, requestTimeout: 5000, throwOnRequestTimeout: true, socketTimeout: 5000 },
    maxAttempts: 3,
  });
}
