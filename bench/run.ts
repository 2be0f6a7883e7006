/**
 * `npm run bench [-- --quick]`: latency of each operation, save's overhead over the raw
 * calls it cannot avoid, previews rendered and kept, upload throughput against plain presigned
 * PUTs and against tus, and each Lambda bundle's size and cold-load time beside its SDK floor. Prints a table and
 * writes bench/results.json. Everything runs on loopback and stops by itself; temp dirs and
 * child processes are removed on the way out.
 *
 * `npm run bench -- --init-only`: only the bundles and their cold loads, printed (results.json
 * keeps the last full or quick run).
 */
import { writeFile, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalStack, type LocalStack } from '../local/stack';
import { defaultCopyPartThresholdBytes } from '../lambdas/adapters/part-copy';
import { createContext, destroyContext, type BenchContext } from './lib/context';
import { bundleHandlers, constructBundleOptions, measureInit } from './lib/handlers';
import { measureListing } from './lib/listing';
import { measureMultipart } from './lib/multipart';
import { measureOps, measureSaveOverhead, pdf, pdfBytes } from './lib/ops';
import { buildResults, handlerResults, renderHandlers, renderReport, type SizeRun } from './lib/report';
import { measurePreviews } from './lib/preview';
import { measureSaveBySize } from './lib/save-by-size';
import { measureThroughput } from './lib/throughput';
import { startTusServer, type TusServer } from './lib/tus';

const quick = process.argv.includes('--quick');
const initOnly = process.argv.includes('--init-only');
const resultsFile = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

const KiB = 1024;
const MiB = 1024 * KiB;
const settings = quick
  ? {
      ops: { iterations: 20, warmup: 15 },
      save: { iterations: 16, warmup: 2 },
      saveBySize: { '8m': 1, '256m': 1, '1g': 1 },
      previews: { samples: 8, warmup: 1 },
      sizes: [
        { label: '64k' as const, size: 64 * KiB, files: 32, rounds: 1, warmup: 4 },
        { label: '8m' as const, size: 8 * MiB, files: 16, rounds: 1, warmup: 1 },
      ],
      listing: { filesPerOrg: 10_000, iterations: 15, warmup: 3 },
      multipart: { files: 2, rounds: 2 },
      initRuns: 10,
      initWithoutNodeOptions: false,
      // About 2.5 minutes on a quiet machine; with the load average above 10 on 2 cores the
      // cold loads alone (22 handlers and their floors, 10 runs each) take over 100 s.
      timeLimitMs: 600_000,
    }
  : {
      ops: { iterations: 200, warmup: 20 },
      save: { iterations: 150, warmup: 10 },
      saveBySize: { '8m': 10, '256m': 3, '1g': 3 },
      previews: { samples: 30, warmup: 2 },
      sizes: [
        // Two rounds (flow, raw, tus / tus, raw, flow) of several waves each at concurrency 16.
        { label: '64k' as const, size: 64 * KiB, files: 256, rounds: 2, warmup: 16 },
        { label: '8m' as const, size: 8 * MiB, files: 64, rounds: 2, warmup: 4 },
      ],
      listing: { filesPerOrg: 10_000, iterations: 100, warmup: 10 },
      multipart: { files: 8, rounds: 4 },
      initRuns: 10,
      initWithoutNodeOptions: true,
      timeLimitMs: 900_000,
    };
const concurrency = 16;
const opsObjectSize = 64 * KiB;
const saveObjectSize = 64 * KiB;

// The handlers log one info line per request; the logger reads this when they are first
// imported (by startLocalStack), so set it before. Warnings and errors still print.
process.env.LOG_LEVEL ??= 'warn';
// Nor metrics: one EMF line per request would bury the report.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The SDK warns that Node 20 support ends in 2027 (Lambda runs Node 22); noise in the output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

/** Stops what runs (stack, peer, clients), newest first. */
const stops: Array<() => Promise<unknown>> = [];
async function stopAll(): Promise<void> {
  for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
}
let bundling: ReturnType<typeof bundleHandlers> | undefined;
async function cleanup(): Promise<void> {
  await stopAll();
  const bundles = await bundling?.catch(() => undefined);
  bundling = undefined;
  if (bundles) await rm(bundles.dir, { recursive: true, force: true });
}

/** Bundles and cold loads only, printed; nothing else is started. */
async function measureInitOnly(): Promise<void> {
  const bundleOptions = await constructBundleOptions();
  bundling = bundleHandlers(bundleOptions);
  const { bundles } = await bundling;
  log(`handler cold loads (${settings.initRuns} runs each)`);
  const init = await measureInit(bundles, { nodeOptions: bundleOptions.nodeOptions, runs: settings.initRuns, alsoWithoutNodeOptions: false });
  await cleanup();
  console.log(renderHandlers(handlerResults(bundles, init), { nodeOptions: bundleOptions.nodeOptions, initRuns: settings.initRuns, nodeMs: init.node_ms }));
}

async function main(): Promise<void> {
  if (initOnly) return measureInitOnly();
  const startedAt = performance.now();
  const loadStart = loadavg()[0] ?? 0;
  const phase = (name: string) => log(`${name} (${((performance.now() - startedAt) / 1000).toFixed(1)} s)`);

  phase(`${quick ? 'quick' : 'full'} run: starting the local stack and bundling the handlers`);
  const bundleOptions = await constructBundleOptions();
  bundling = bundleHandlers(bundleOptions);
  bundling.catch(() => undefined); // awaited below; a failure must not be unhandled meanwhile
  // No previews ahead of time: rendering each new image in the background would share the
  // cores with the timed requests (on AWS it runs in a function of its own).
  const stack: LocalStack = await startLocalStack({ sweepIntervalMs: 0, previewsAhead: false });
  stops.push(() => stack.stop());
  const context: BenchContext = await createContext(stack, { org_id: 'bench-org', sub: 'bench-user' });
  stops.push(async () => destroyContext(context));
  const tus: TusServer = await startTusServer({
    bucket: stack.bucket,
    region: stack.region,
    endpoint: stack.s3Endpoint,
    credentials: stack.credentials,
  });
  stops.push(() => tus.stop());

  phase('operations');
  const opsSamples = await measureOps(context, { ...settings.ops, bytes: pdfBytes(opsObjectSize), mimeType: pdf });

  phase('save overhead');
  const save = await measureSaveOverhead(context, { ...settings.save, size: saveObjectSize });

  phase('save time by size (8 MiB, 256 MiB, 1 GiB)');
  const saveBySize = await measureSaveBySize(context, { samples: settings.saveBySize });

  phase('previews (12 MP JPEG and 20-page PDF at w=300)');
  const previews = await measurePreviews(context, settings.previews);

  const throughput: SizeRun[] = [];
  for (const size of settings.sizes) {
    phase(`throughput ${size.label}`);
    const run = await measureThroughput(context, tus, {
      bytes: pdfBytes(size.size),
      files: size.files,
      rounds: size.rounds,
      concurrency,
      warmup: size.warmup,
    });
    throughput.push({ label: size.label, ...run });
  }

  phase('multipart 64 MiB');
  const multipart = await measureMultipart(context, { bytes: pdfBytes(64 * MiB), ...settings.multipart, partConcurrency: 4 });

  phase(`listing (${settings.listing.filesPerOrg} files in each of two orgs)`);
  const listing = await measureListing(context, settings.listing);

  // The stack and the peer stop before the cold starts are timed, so they compete for nothing.
  phase('stopping the stack');
  await stopAll();
  const { bundles } = await bundling;

  phase(`handler cold loads (${settings.initRuns} runs each)`);
  const init = await measureInit(bundles, {
    nodeOptions: bundleOptions.nodeOptions,
    runs: settings.initRuns,
    alsoWithoutNodeOptions: settings.initWithoutNodeOptions,
  });
  await cleanup();

  const measurements = {
    quick,
    opsSamples,
    opsObject: `${opsObjectSize / KiB} KiB PDF`,
    save,
    saveSize: saveObjectSize,
    saveBySize,
    previews,
    copyPartThresholdBytes: defaultCopyPartThresholdBytes,
    throughput,
    multipart,
    listing,
    concurrency,
    bundles,
    init,
    initRuns: settings.initRuns,
    nodeOptions: bundleOptions.nodeOptions,
    loadStart,
    startedAt,
  };
  const results = buildResults(measurements);
  await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderReport(results, measurements));
  log(`wrote ${resultsFile} (${results.machine.duration_s} s)`);
}

const watchdog = setTimeout(() => {
  log(`gave up after ${settings.timeLimitMs / 1000} s`);
  void cleanup().finally(() => process.exit(2));
}, settings.timeLimitMs);
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

main()
  .then(() => {
    clearTimeout(watchdog);
  })
  .catch(async (error: unknown) => {
    clearTimeout(watchdog);
    // Stopping the stack under a running measurement makes it fail; that is not news.
    if (interrupted) return;
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exitCode = 1;
  });
