/**
 * Faults injected where the handlers meet storage: the local S3 and DynamoDB fronts, and the
 * EventBridge front where events are published. A fault
 * breaks one SDK invocation the way a network does: `before` drops the connection without
 * forwarding the call (nothing happened), `after` forwards it and drops the connection before
 * the answer (it happened, the caller cannot know). The SDK retries a dropped call with the
 * same `amz-sdk-invocation-id`, so every attempt of the chosen invocation fails too; retries
 * of an `after` fault are not forwarded again, so the call happens exactly once.
 */

export type FaultService = 's3' | 'dynamodb' | 'events';

export interface FaultSpec {
  service: FaultService;
  /** The API operation, e.g. `CopyObject` or `TransactWriteItems`. */
  action: string;
  /** Only calls by this function; any caller when undefined. */
  function?: string;
  /** Which invocation of that action fails, counting from 1; default 1. */
  occurrence?: number;
  mode: 'before' | 'after';
}

export interface FrontCall {
  function: string;
  service: FaultService;
  action: string;
}

export type FaultVerdict = 'pass' | 'before' | 'after';

const maxTracked = 100_000;

export class Faults {
  private plans: Array<{ spec: FaultSpec; seen: number; invocation?: string; hits: number }> = [];
  private readonly log: FrontCall[] = [];
  private readonly seenInvocations = new Set<string>();

  inject(spec: FaultSpec): void {
    this.plans.push({ spec, seen: 0, hits: 0 });
  }

  clear(): void {
    this.plans = [];
    this.log.length = 0;
    this.seenInvocations.clear();
  }

  /** The calls since the last clear(), one per SDK invocation, in order: the points to inject at. */
  calls(): FrontCall[] {
    return [...this.log];
  }

  /** How many times injected faults fired (every attempt of the chosen invocation counts). */
  fired(): number {
    return this.plans.reduce((sum, plan) => sum + plan.hits, 0);
  }

  /**
   * What the front must do with this request. `invocationId` is the SDK's invocation id;
   * a request without one (a presigned URL) is its own invocation.
   */
  decide(call: FrontCall, invocationId: string | undefined): FaultVerdict {
    // Bounded, so a long `npm start` session does not grow without end.
    if (this.seenInvocations.size > maxTracked) this.seenInvocations.clear();
    if (this.log.length > maxTracked) this.log.length = 0;
    const retry = invocationId !== undefined && this.seenInvocations.has(invocationId);
    if (invocationId !== undefined) this.seenInvocations.add(invocationId);
    if (!retry) this.log.push(call);
    for (const plan of this.plans) {
      const { spec } = plan;
      if (spec.service !== call.service || spec.action !== call.action) continue;
      if (spec.function !== undefined && spec.function !== call.function) continue;
      if (retry) {
        if (plan.invocation === invocationId) {
          plan.hits += 1;
          // The call already happened on the first attempt; a retry only loses its answer again.
          return 'before';
        }
        continue;
      }
      plan.seen += 1;
      if (plan.seen === (spec.occurrence ?? 1)) {
        plan.invocation = invocationId ?? `request-${plan.seen}`;
        plan.hits += 1;
        return spec.mode;
      }
    }
    return 'pass';
  }
}
