/**
 * The first page of a PDF as a PNG, rendered by MuPDF (WebAssembly) in a worker thread.
 *
 * Why a worker: a MuPDF call is synchronous and cannot be interrupted on the thread that
 * makes it, so a hostile or merely heavy page would hold the Lambda until its own timeout.
 * The worker is terminated when the time budget runs out, which stops the WebAssembly
 * mid-page; the next call starts a fresh one. A healthy worker is kept for the next call,
 * so MuPDF's WebAssembly is compiled once per execution environment, not once per render.
 *
 * Why its source is a string: handlers are bundled into one ESM file by esbuild, which has
 * no second file for a worker to load. The worker is an ES module started from this string
 * (a `data:` URL, so it is ESM whatever flags the process has) and loads MuPDF by the
 * absolute URL this module resolves: `node_modules/mupdf` beside the bundle (see
 * lib/preview-bundling.ts), whatever the working directory. Only the worker loads MuPDF, so
 * the main thread never holds its WebAssembly memory.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export interface PdfRenderOptions {
  /** The box the page is scaled to fit, in pixels, aspect kept. */
  maxWidth: number;
  maxHeight: number;
  /** The whole call, a cold worker's start included. */
  timeoutMs: number;
  /** Refuse (`too-large`) a page whose raster at the fitting scale would exceed it. @default 16,777,216 (4096²) */
  maxPixels?: number;
  /**
   * Refuse (`too-large`) a PDF whose render grows the process's resident memory (RSS, main
   * thread and worker) by more than this: checked every 20 ms against the RSS when the render
   * started, the worker stopped when it does. MuPDF may grow its WebAssembly memory to 2 GiB on
   * a hostile file; keep what the function holds anyway plus this below the Lambda's memory, so
   * such a file is refused instead of the function being killed. Growth rather than the total,
   * so that a process that holds other work (`npm start` runs every function in one) judges
   * the PDF alone.
   * @default no limit
   */
  maxMemoryBytes?: number;
}

export type PdfRefusal = 'unreadable' | 'encrypted' | 'too-large' | 'timeout';

/** The PDF cannot be rendered as asked; `reason` says why. A fault of the renderer itself is a plain Error. */
export class PdfRenderError extends Error {
  override readonly name = 'PdfRenderError';

  constructor(
    readonly reason: PdfRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface RenderedPage {
  png: Buffer;
  width: number;
  height: number;
}

export const defaultMaxPixels = 4096 * 4096;
const memoryCheckIntervalMs = 20;

/**
 * Renders the first page scaled to fit within maxWidth × maxHeight (aspect kept; a page
 * smaller than the box is scaled up to fit it, pages are vectors), on white, without alpha.
 * The raster is made at that scale directly, so an absurd page box (14,400 pt) costs no more
 * than a letter page. Calls are served one at a time; time spent waiting counts against the
 * caller's budget.
 */
export function renderPdfFirstPage(bytes: Uint8Array, options: PdfRenderOptions): Promise<RenderedPage> {
  const job = {
    bytes,
    maxWidth: positive('maxWidth', options.maxWidth),
    maxHeight: positive('maxHeight', options.maxHeight),
    maxPixels: positive('maxPixels', options.maxPixels ?? defaultMaxPixels),
  };
  const timeoutMs = positive('timeoutMs', options.timeoutMs);
  const limits: Limits = {
    timeoutMs,
    deadline: performance.now() + timeoutMs,
    maxMemoryBytes: options.maxMemoryBytes === undefined ? undefined : positive('maxMemoryBytes', options.maxMemoryBytes),
  };
  const run = queue.then(() => renderInWorker(job, limits));
  queue = run.catch(() => undefined);
  return run;
}

/** Stops the worker (tests, benchmarks, shutdown); the next render starts another. */
export async function closePdfRenderer(): Promise<void> {
  const current = worker;
  worker = undefined;
  await current?.terminate();
}

interface Limits {
  timeoutMs: number;
  /** performance.now() by which the call must be answered. */
  deadline: number;
  maxMemoryBytes: number | undefined;
}

interface Job {
  bytes: Uint8Array;
  maxWidth: number;
  maxHeight: number;
  maxPixels: number;
}

type Reply =
  | { ok: true; png: Uint8Array; width: number; height: number }
  | { ok: false; refusal: PdfRefusal; message: string }
  | { ok: false; fault: string };

let worker: Worker | undefined;
let queue: Promise<unknown> = Promise.resolve();

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, not ${value}`);
  return value;
}

function renderInWorker(job: Job, { timeoutMs, deadline, maxMemoryBytes }: Limits): Promise<RenderedPage> {
  const remaining = deadline - performance.now();
  if (remaining <= 0) return Promise.reject(timedOut(timeoutMs));
  const current = (worker ??= startWorker());
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void, healthy: boolean) => {
      clearTimeout(timer);
      clearInterval(memoryWatch);
      current.off('message', onMessage).off('error', onError).off('exit', onExit);
      if (healthy) current.unref();
      else retire(current);
      outcome();
    };
    const onMessage = (reply: Reply) => {
      if (reply.ok) {
        const png = Buffer.from(reply.png.buffer, reply.png.byteOffset, reply.png.byteLength);
        settle(() => resolve({ png, width: reply.width, height: reply.height }), true);
      } else if ('refusal' in reply) {
        settle(() => reject(new PdfRenderError(reply.refusal, reply.message)), true);
      } else {
        settle(() => reject(new Error(`The PDF renderer failed: ${reply.fault}`)), false);
      }
    };
    const onError = (error: Error) => settle(() => reject(new Error(`The PDF renderer failed: ${error.message}`)), false);
    const onExit = (code: number) => settle(() => reject(new Error(`The PDF renderer stopped (exit code ${code})`)), false);
    const timer = setTimeout(() => settle(() => reject(timedOut(timeoutMs)), false), remaining);
    const memoryWatch =
      maxMemoryBytes === undefined
        ? undefined
        : ((start) =>
            setInterval(() => {
              const grown = process.memoryUsage.rss() - start;
              if (grown > maxMemoryBytes) settle(() => reject(tooMuchMemory(grown, maxMemoryBytes)), false);
            }, memoryCheckIntervalMs))(process.memoryUsage.rss());

    current.on('message', onMessage).on('error', onError).on('exit', onExit);
    current.ref();
    current.postMessage(job);
  });
}

function tooMuchMemory(grown: number, maxMemoryBytes: number): PdfRenderError {
  const MiB = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;
  return new PdfRenderError('too-large', `Rendering the PDF took ${MiB(grown)} more memory, more than ${MiB(maxMemoryBytes)}`);
}

function timedOut(timeoutMs: number): PdfRenderError {
  return new PdfRenderError('timeout', `The PDF's first page did not render within ${timeoutMs} ms`);
}

/** Terminates a worker that timed out or failed; the next call starts a fresh one. */
function retire(stale: Worker): void {
  if (worker === stale) worker = undefined;
  void stale.terminate();
}

function startWorker(): Worker {
  const mupdfUrl = pathToFileURL(createRequire(import.meta.url).resolve('mupdf')).href;
  const started = new Worker(new URL(`data:text/javascript,${encodeURIComponent(workerSource)}`), { workerData: { mupdfUrl } });
  // Between renders nobody listens; an unexpected failure there only retires the worker.
  started.on('error', () => retire(started));
  started.unref();
  return started;
}

/**
 * The worker: loads MuPDF once, then answers one message per job. A Reply with `refusal` is
 * the PDF's fault (the worker stays); one with `fault` is the renderer's (the worker is
 * replaced). Objects MuPDF allocates live in WebAssembly memory and are freed explicitly.
 */
const workerSource = `
import { parentPort, workerData } from 'node:worker_threads';
// MuPDF prints every warning about a damaged file to stderr; refusals already say what matters.
globalThis.$libmupdf_wasm_Module = { print: () => undefined, printErr: () => undefined };
const loading = import(workerData.mupdfUrl);
loading.catch(() => undefined);

class Refusal extends Error {
  constructor(refusal, message) { super(message); this.refusal = refusal; }
}

function render(mupdf, { bytes, maxWidth, maxHeight, maxPixels }, owned) {
  const keep = (object) => { owned.push(object); return object; };
  let document;
  try {
    document = keep(mupdf.Document.openDocument(bytes, 'application/pdf'));
  } catch (error) {
    throw new Refusal('unreadable', 'The file is not a readable PDF');
  }
  if (document.needsPassword()) throw new Refusal('encrypted', 'The PDF is protected by a password');
  try {
    if (document.countPages() < 1) throw new Refusal('unreadable', 'The PDF has no pages');
    const page = keep(document.loadPage(0));
    const [x0, y0, x1, y1] = page.getBounds();
    const pageWidth = x1 - x0;
    const pageHeight = y1 - y0;
    if (!(pageWidth > 0 && pageHeight > 0 && Number.isFinite(pageWidth * pageHeight))) {
      throw new Refusal('unreadable', "The PDF's first page has no area");
    }
    const scale = Math.min(maxWidth / pageWidth, maxHeight / pageHeight);
    const pixels = Math.ceil(pageWidth * scale) * Math.ceil(pageHeight * scale);
    if (pixels > maxPixels) {
      throw new Refusal('too-large', 'The first page would need ' + pixels + ' pixels, more than ' + maxPixels);
    }
    // The page's corner at the origin, so the raster is exactly the scaled page, not a pixel more.
    const matrix = mupdf.Matrix.concat(mupdf.Matrix.translate(-x0, -y0), mupdf.Matrix.scale(scale, scale));
    const pixmap = keep(page.toPixmap(matrix, mupdf.ColorSpace.DeviceRGB, false, true));
    return { png: pixmap.asPNG().slice(), width: pixmap.getWidth(), height: pixmap.getHeight() };
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal('unreadable', 'The PDF is damaged: ' + (error && error.message));
  }
}

parentPort.on('message', async (job) => {
  let mupdf;
  try {
    mupdf = await loading;
  } catch (error) {
    parentPort.postMessage({ ok: false, fault: 'MuPDF did not load: ' + (error && error.message) });
    return;
  }
  const owned = [];
  try {
    const page = render(mupdf, job, owned);
    parentPort.postMessage({ ok: true, ...page }, [page.png.buffer]);
  } catch (error) {
    if (error instanceof Refusal) parentPort.postMessage({ ok: false, refusal: error.refusal, message: error.message });
    else parentPort.postMessage({ ok: false, fault: String(error && error.message) });
  } finally {
    for (const object of owned.reverse()) object.destroy();
  }
});
`;
