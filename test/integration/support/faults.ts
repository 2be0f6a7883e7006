/**
 * Wraps a storage adapter so that one chosen call fails, the way a real S3 or DynamoDB call
 * does: before it reaches storage (nothing happened) or after (it happened, but the answer
 * was lost to a timeout). Every call is recorded, so a clean run lists the steps to break.
 */
export type FaultMode = 'before' | 'after';

export interface Fault {
  /** e.g. `store.copy` or `repository.addVersion` */
  step: string;
  /** Which call of that step fails, counting from 1. */
  occurrence: number;
  mode: FaultMode;
}

export class FaultPlan {
  readonly calls: string[] = [];
  private readonly counts = new Map<string, number>();

  constructor(private readonly fault?: Fault) {}

  wrap<T extends object>(name: string, target: T, methods: ReadonlyArray<keyof T & string>): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function' || !methods.includes(property as keyof T & string)) return value;
        return (...args: unknown[]) => this.call(`${name}.${String(property)}`, () => value.apply(object, args) as Promise<unknown>);
      },
    });
  }

  /** The steps of a clean run, each with its occurrence: the points to inject a fault at. */
  steps(): Array<{ step: string; occurrence: number }> {
    const seen = new Map<string, number>();
    return this.calls.map((step) => {
      const occurrence = (seen.get(step) ?? 0) + 1;
      seen.set(step, occurrence);
      return { step, occurrence };
    });
  }

  private async call(step: string, run: () => Promise<unknown>): Promise<unknown> {
    this.calls.push(step);
    const occurrence = (this.counts.get(step) ?? 0) + 1;
    this.counts.set(step, occurrence);
    const hit = this.fault?.step === step && this.fault.occurrence === occurrence;
    if (hit && this.fault?.mode === 'before') throw timeout(step);
    const result = await run();
    if (hit && this.fault?.mode === 'after') throw timeout(step);
    return result;
  }
}

function timeout(step: string): Error {
  const error = new Error(`injected: ${step} timed out`);
  error.name = 'TimeoutError';
  return error;
}
