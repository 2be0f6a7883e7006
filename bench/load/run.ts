import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HttpClient, NetworkError, isLoopback } from './http';
import type { HttpResponse } from './http';
import { summarize } from './stats';
import type { Summary } from './stats';

export interface LoadOptions {
  /** The API's base URL; must be a loopback address. */
  url: string;
  token: string;
  flows: number;
  concurrency: number;
  /** Bytes per file. */
  size: number;
  /** Download and compare the bytes of every n-th flow; 0 = never, 1 = every flow. */
  verify: number;
  /** The whole run stops after this long; unfinished flows count as errors. */
  timeoutMs?: number;
  /** A single request that takes longer than this is an error. */
  requestTimeoutMs?: number;
  /** Aborting it ends the run early (e.g. Ctrl-C); unfinished flows count as errors. */
  signal?: AbortSignal;
  /** Called after each finished flow (for progress lines). */
  onFlow?: (done: number, errors: number) => void;
}

/** The steps of one flow; `verify` (download + compare) runs only for sampled flows and is not part of `flow`. */
export type Step = 'upload' | 'put' | 'save' | 'verify';
export const steps: readonly Step[] = ['upload', 'put', 'save', 'verify'];

export interface ErrorSample {
  flow: number;
  kind: string;
  detail: string;
}

export interface LoadResult {
  url: string;
  flows: number;
  concurrency: number;
  size: number;
  verifyEvery: number;
  startedAt: string;
  durationMs: number;
  /** Flows whose three steps (and verification, when sampled) all succeeded. */
  ok: number;
  /** Flows that failed, timed out, or never started before the time limit. */
  errors: number;
  /** Failed flows by `<step> <status or network code>`, e.g. `save 500`, `put ECONNRESET`. */
  errorsByKind: Record<string, number>;
  errorSamples: ErrorSample[];
  verified: number;
  /** `timeout`: the overall time limit ended the run; `aborted`: the caller's signal did. */
  stoppedBy: 'completion' | 'timeout' | 'aborted';
  /** Per step latencies of successful requests, and the whole three-step flow of successful flows (ms). */
  latency: { upload: Summary; put: Summary; save: Summary; flow: Summary; verify: Summary };
  throughput: { flowsPerSecond: number; megabytesPerSecond: number };
  /** Ids of the saved files, in the order they were saved. */
  fileIds: string[];
}

interface Ticket {
  s3ref?: { bucket: string; key: string };
  upload_url?: string;
}

class StepError extends Error {
  constructor(
    readonly kind: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** Runs `flows` complete three-step uploads, `concurrency` at a time, and measures each step. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  validate(options);
  const client = new HttpClient(options.concurrency);
  const deadline = new AbortController();
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const timer = setTimeout(() => deadline.abort(Object.assign(new Error('run deadline'), { name: 'RunDeadline' })), timeoutMs);
  const onAbort = () => deadline.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const base = options.url.replace(/\/+$/, '');
  const times: Record<Step | 'flow', number[]> = { upload: [], put: [], save: [], verify: [], flow: [] };
  const errorsByKind: Record<string, number> = {};
  const errorSamples: ErrorSample[] = [];
  const fileIds: string[] = [];
  let next = 0;
  let done = 0;
  let failed = 0;
  let verified = 0;

  const call = async <R extends HttpResponse>(step: Step, expected: number[], send: (signal: AbortSignal) => Promise<R>) => {
    const signal = AbortSignal.any([deadline.signal, AbortSignal.timeout(requestTimeoutMs)]);
    const started = performance.now();
    let response: R;
    try {
      response = await send(signal);
    } catch (error) {
      if (error instanceof NetworkError) throw new StepError(`${step} ${error.code}`, error.message);
      throw error;
    }
    if (!expected.includes(response.status)) {
      throw new StepError(`${step} ${response.status}`, response.body.subarray(0, 300).toString('utf8'));
    }
    return { response, ms: performance.now() - started };
  };

  const runFlow = async (flow: number) => {
    const bytes = randomBytes(options.size);
    const filename = `load-${flow}.bin`;
    const ticket = await call('upload', [201], (signal) =>
      client.json<Ticket>({
        method: 'POST',
        url: `${base}/v2/files/upload`,
        token: options.token,
        json: { filename, mime_type: 'application/octet-stream', size_bytes: options.size },
        signal,
      }),
    );
    const { s3ref, upload_url: uploadUrl } = ticket.response.data ?? {};
    if (!s3ref || !uploadUrl) throw new StepError('upload bad-body', ticket.response.body.subarray(0, 300).toString('utf8'));
    if (!isLoopback(uploadUrl)) throw new StepError('put non-loopback', new URL(uploadUrl).origin);
    const put = await call('put', [200], (signal) =>
      client.request({ method: 'PUT', url: uploadUrl, headers: { 'content-type': 'application/octet-stream' }, body: bytes, signal }),
    );
    const saved = await call('save', [201], (signal) =>
      client.json<{ _id?: unknown }>({ method: 'POST', url: `${base}/v2/files`, token: options.token, json: { s3ref, filename }, signal }),
    );
    const id = saved.response.data?._id;
    if (typeof id !== 'string') throw new StepError('save bad-body', saved.response.body.subarray(0, 300).toString('utf8'));
    times.upload.push(ticket.ms);
    times.put.push(put.ms);
    times.save.push(saved.ms);
    times.flow.push(ticket.ms + put.ms + saved.ms);
    fileIds.push(id);
    if (options.verify > 0 && flow % options.verify === 0) {
      const started = performance.now();
      const link = await call('verify', [200], (signal) =>
        client.json<{ download_url?: unknown }>({ method: 'GET', url: `${base}/v1/files/${encodeURIComponent(id)}/download`, token: options.token, signal }),
      );
      const downloadUrl = link.response.data?.download_url;
      if (typeof downloadUrl !== 'string') throw new StepError('verify bad-body', link.response.body.subarray(0, 300).toString('utf8'));
      if (!isLoopback(downloadUrl)) throw new StepError('verify non-loopback', new URL(downloadUrl).origin);
      const got = await call('verify', [200], (signal) => client.request({ method: 'GET', url: downloadUrl, signal }));
      if (!got.response.body.equals(bytes)) {
        throw new StepError('verify mismatch', `got ${got.response.body.length} bytes, sent ${bytes.length}`);
      }
      times.verify.push(performance.now() - started);
      verified += 1;
    }
  };

  const record = (flow: number, error: unknown) => {
    failed += 1;
    const kind = error instanceof StepError ? error.kind : 'generator-bug';
    const detail = error instanceof Error ? error.message : String(error);
    errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
    if (errorSamples.length < 20) errorSamples.push({ flow, kind, detail });
  };

  const worker = async () => {
    while (next < options.flows && !deadline.signal.aborted) {
      const flow = next;
      next += 1;
      try {
        await runFlow(flow);
      } catch (error) {
        record(flow, error);
      }
      done += 1;
      options.onFlow?.(done, failed);
    }
  };

  const startedAt = new Date();
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.flows) }, worker));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    client.close();
  }
  const durationMs = performance.now() - started;
  const stoppedBy = !deadline.signal.aborted ? 'completion' : options.signal?.aborted ? 'aborted' : 'timeout';
  const neverStarted = options.flows - done;
  if (neverStarted > 0) {
    errorsByKind[stoppedBy === 'timeout' ? 'not-started RUN_TIMEOUT' : 'not-started ABORTED'] = neverStarted;
    failed += neverStarted;
  }
  const ok = options.flows - failed;
  const seconds = durationMs / 1000;
  return {
    url: base,
    flows: options.flows,
    concurrency: options.concurrency,
    size: options.size,
    verifyEvery: options.verify,
    startedAt: startedAt.toISOString(),
    durationMs,
    ok,
    errors: failed,
    errorsByKind,
    errorSamples,
    verified,
    stoppedBy,
    latency: {
      upload: summarize(times.upload),
      put: summarize(times.put),
      save: summarize(times.save),
      flow: summarize(times.flow),
      verify: summarize(times.verify),
    },
    throughput: {
      flowsPerSecond: seconds > 0 ? ok / seconds : 0,
      megabytesPerSecond: seconds > 0 ? (fileIds.length * options.size) / 1e6 / seconds : 0,
    },
    fileIds,
  };
}

function validate(options: LoadOptions): void {
  const positive = (name: string, value: number, min: number) => {
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  };
  positive('flows', options.flows, 1);
  positive('concurrency', options.concurrency, 1);
  positive('size', options.size, 0);
  positive('verify', options.verify, 0);
  if (!isLoopback(options.url)) throw new RangeError(`only loopback targets (127.0.0.0/8, ::1, localhost) are allowed, got ${options.url}`);
  if (!options.token) throw new RangeError('a token is required');
}
