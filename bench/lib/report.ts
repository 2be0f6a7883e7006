import { cpus, loadavg, totalmem } from 'node:os';
import type { Bundle, InitTimes } from './handlers';
import type { OpName, OpSamples, RawCall, SaveOverheadSamples } from './ops';
import { unavoidableCalls } from './ops';
import { percentile, ratio, round, summarize, sum, type LatencySummary } from './stats';
import type { Contender, FlowSteps, ThroughputResult } from './throughput';
import type { ListingSamples } from './listing';
import { saveSizes, type SaveBySizeSamples, type SaveSizeLabel } from './save-by-size';
import type { MultipartContender } from './multipart';
import { listingResults } from './listing';
import { photo, previewCases, previewResults, type PreviewCase, type PreviewSamples } from './preview';

export interface HandlerResult {
  bundle_kb: number;
  bundle_gz_kb: number;
  init_ms: number;
  init_vs_node: number | null;
  /** Init of a bundle that only imports and constructs the same SDK clients, same run, same method. */
  sdk_floor_ms: number;
  /** init_ms / sdk_floor_ms: what the handler adds to the SDK it cannot do without. */
  init_vs_sdk_floor: number | null;
  /** Same load without the function's NODE_OPTIONS (full runs only). */
  init_ms_no_node_options?: number;
  /** The three largest contributors to the minified bundle (KB). */
  largest_packages_kb: Record<string, number>;
}

export interface Machine {
  cpus: number;
  model: string;
  memory_gb: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews every number. */
  loadavg_start: number;
  loadavg_end: number;
  duration_s: number;
}

/** bench/results.json: exactly these keys. */
export interface Results {
  ops: Record<OpName, LatencySummary>;
  /** A save that carries the bytes itself (content_base64), the operations' object size. */
  direct_p50_ms: number;
  save_overhead_ratio: number | null;
  /** p50 ms of the save handler by object size (null when a size could not be saved). */
  save_ms_by_size: Record<SaveSizeLabel, number | null>;
  /**
   * p50 ms of previewFile at w=300 (null when a case could not be measured): a 12 MP JPEG's
   * first request (rendered) and its second (the kept preview), a 20-page PDF's first, and a
   * request with the ETag (304).
   */
  preview_p50_ms: Record<PreviewCase, number | null>;
  flow_vs_raw_put_64k: number | null;
  flow_vs_raw_put_8m: number | null;
  vs_tus_64k: number | null;
  vs_tus_8m: number | null;
  /** MB/s of 64 MiB files through the multipart routes (parts 4 at a time, save completing the upload) over one plain presigned PUT each, same run. */
  multipart_flow_vs_raw_put_64m: number | null;
  /** First page of GET /v2/files (25 files), newest first, in an org of `listing.files_per_org`. */
  list_p50_ms: number;
  /** The same with `q` matching 1% of the org's files. */
  search_p50_ms: number;
  /** The same by `relation` (an entity with 100 files). */
  relation_p50_ms: number;
  /** The same with `shared=true`: another org's files shared with the org (one in 20), read through the grant index. */
  shared_list_p50_ms: number;
  /** What each first page read (ReturnConsumedCapacity), beside one Query of a page. */
  listing: ReturnType<typeof listingResults>['listing'];
  handlers: Record<string, HandlerResult>;
  machine: Machine;
  quick: boolean;
  generated_at: string;
}

export interface SizeRun {
  label: '64k' | '8m';
  results: Record<Contender, ThroughputResult>;
  steps: FlowSteps;
  /** Set when a contender could not be measured. */
  error?: string;
}

export interface Measurements {
  quick: boolean;
  opsSamples: OpSamples;
  opsObject: string;
  save: SaveOverheadSamples;
  saveSize: number;
  saveBySize: SaveBySizeSamples;
  previews: PreviewSamples;
  /** Objects from this size on are copied in parts. */
  copyPartThresholdBytes: number;
  throughput: SizeRun[];
  multipart: Record<MultipartContender, ThroughputResult>;
  listing: ListingSamples;
  concurrency: number;
  bundles: Bundle[];
  init: InitTimes;
  initRuns: number;
  nodeOptions: string;
  loadStart: number;
  startedAt: number;
}

const kb = (bytes: number) => round(bytes / 1024, 1);
const p50 = (samples: readonly number[]) => percentile(samples, 50);

export function machine(loadStart: number, startedAt: number): Machine {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    model: cpuList[0]?.model.trim() ?? 'unknown',
    memory_gb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadavg_start: round(loadStart, 2),
    loadavg_end: round(loadavg()[0] ?? 0, 2),
    duration_s: round((performance.now() - startedAt) / 1000, 1),
  };
}

/** p50 of each unavoidable raw call, summed: what a save would cost with nothing else. */
export function unavoidableP50(raw: Record<RawCall, number[]>): number {
  return sum(unavoidableCalls.map((call) => p50(raw[call])));
}

export function handlerResults(bundles: Bundle[], times: InitTimes): Record<string, HandlerResult> {
  return Object.fromEntries(
    bundles.map((bundle): [string, HandlerResult] => {
      const init = times.handlers[bundle.entry];
      return [
        bundle.entry,
        {
          bundle_kb: kb(bundle.bytes),
          bundle_gz_kb: kb(bundle.gzipBytes),
          init_ms: init?.init_ms ?? Number.NaN,
          init_vs_node: ratio(init?.init_ms, times.node_ms),
          sdk_floor_ms: init?.sdk_floor_ms ?? Number.NaN,
          init_vs_sdk_floor: ratio(init?.init_ms, init?.sdk_floor_ms),
          ...(init?.init_ms_no_node_options !== undefined ? { init_ms_no_node_options: init.init_ms_no_node_options } : {}),
          largest_packages_kb: Object.fromEntries(bundle.packages.slice(0, 3).map(({ name, bytes }) => [name, kb(bytes)])),
        },
      ];
    }),
  );
}

export function buildResults(m: Measurements): Results {
  const ops = Object.fromEntries(
    (Object.keys(m.opsSamples) as OpName[]).map((name) => [name, summarize(m.opsSamples[name])]),
  ) as Record<OpName, LatencySummary>;
  const bySize = (label: SizeRun['label']) => m.throughput.find((run) => run.label === label);
  const mbps = (label: SizeRun['label'], contender: Contender) => {
    const run = bySize(label);
    return run && !run.error ? run.results[contender].mb_per_s : null;
  };
  const handlers = handlerResults(m.bundles, m.init);
  return {
    ops,
    direct_p50_ms: ops.direct.p50_ms,
    save_overhead_ratio: ratio(p50(m.save.save_pdf), unavoidableP50(m.save.raw)),
    save_ms_by_size: Object.fromEntries(
      saveSizes.map(({ label }) => [label, m.saveBySize.samples[label].length > 0 ? round(p50(m.saveBySize.samples[label]), 1) : null]),
    ) as Record<SaveSizeLabel, number | null>,
    preview_p50_ms: previewResults(m.previews),
    flow_vs_raw_put_64k: ratio(mbps('64k', 'flow'), mbps('64k', 'raw_put')),
    flow_vs_raw_put_8m: ratio(mbps('8m', 'flow'), mbps('8m', 'raw_put')),
    vs_tus_64k: ratio(mbps('64k', 'flow'), mbps('64k', 'tus')),
    vs_tus_8m: ratio(mbps('8m', 'flow'), mbps('8m', 'tus')),
    multipart_flow_vs_raw_put_64m: ratio(m.multipart.multipart_flow.mb_per_s, m.multipart.raw_put.mb_per_s),
    ...listingResults(m.listing),
    handlers,
    machine: machine(m.loadStart, m.startedAt),
    quick: m.quick,
    generated_at: new Date().toISOString(),
  };
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map((cell) => (typeof cell === 'number' ? format(cell) : cell)))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row, index) => {
      const line = row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
      return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
    })
    .map((line) => `  ${line}`)
    .join('\n');
}

function format(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : digits);
}

function verdict(value: number | null, target: number, atMost: boolean): string {
  if (value === null) return 'not measured';
  const met = atMost ? value <= target : value >= target;
  return `${met ? 'met' : 'MISSED'} (target ${atMost ? '<=' : '>='} ${target})`;
}

export function renderReport(results: Results, m: Measurements): string {
  const out: string[] = [];
  const mc = results.machine;
  out.push(
    `File service benchmark${m.quick ? ' (--quick)' : ''}: node ${mc.node}, ${mc.cpus} x ${mc.model}, ${mc.memory_gb} GiB, ` +
      `load average ${mc.loadavg_start} -> ${mc.loadavg_end}, ${mc.duration_s} s`,
  );

  out.push('', `Operations: handler functions called in-process with API Gateway v2 events against the local stack (${m.opsObject})`);
  out.push(
    table(
      ['op', 'p50 ms', 'p99 ms', 'n'],
      (Object.keys(results.ops) as OpName[]).map((name) => [name, results.ops[name].p50_ms, results.ops[name].p99_ms, String(results.ops[name].n)]),
    ),
  );

  const raw = m.save.raw;
  const unavoidable = unavoidableP50(raw);
  const textRatio = ratio(p50(m.save.save_text), unavoidable);
  out.push('', `Save overhead: ${kb(m.saveSize)} KiB objects, p50 ms, n=${m.save.save_pdf.length} each, contenders alternating`);
  out.push(
    table(
      ['call', 'p50 ms', 'p99 ms', 'in the sum'],
      [
        ['save handler, application/pdf', p50(m.save.save_pdf), percentile(m.save.save_pdf, 99), ''],
        ['save handler, text/plain', p50(m.save.save_text), percentile(m.save.save_text, 99), ''],
        ...(Object.keys(raw) as RawCall[]).map((call) => [
          `raw ${call}`,
          p50(raw[call]),
          percentile(raw[call], 99),
          unavoidableCalls.includes(call) ? 'yes' : '',
        ]),
        ['unavoidable sum (head+copy+delete_object+transact_write)', unavoidable, '', ''],
      ],
    ),
  );
  out.push(
    `  save_overhead_ratio = ${format(p50(m.save.save_pdf))} / ${format(unavoidable)} = ${format(results.save_overhead_ratio)} ` +
      `${verdict(results.save_overhead_ratio, 1.3, true)}; text/plain (no first-bytes GET): ${format(textRatio)}`,
  );

  out.push(
    '',
    `Save time by size: PDF uploads saved by the save handler, in-process; from ${kb(m.copyPartThresholdBytes) / 1024} MiB on, ` +
      'the copy is parallel UploadPartCopy, below it one CopyObject',
  );
  out.push(
    table(
      ['size', 'copy', 'p50 ms', 'max ms', 'n'],
      saveSizes.map(({ label, size }) => {
        const samples = m.saveBySize.samples[label];
        return [label, size >= m.copyPartThresholdBytes ? 'parts' : 'CopyObject', results.save_ms_by_size[label] ?? Number.NaN, samples.length > 0 ? Math.max(...samples) : Number.NaN, String(samples.length)];
      }),
    ),
  );
  for (const [label, error] of Object.entries(m.saveBySize.errors)) out.push(`  ${label}: ${error}`);

  out.push('', renderPreviews(results.preview_p50_ms, m.previews));

  out.push('', `Throughput: ${m.concurrency} concurrent uploads, same bytes, same local S3; MB/s = 10^6 bytes/s`);
  out.push(
    table(
      ['size', 'files', 'flow MB/s', 'raw PUT MB/s', 'tus MB/s', 'flow/raw', 'flow/tus'],
      m.throughput.map((run) => [
        run.label,
        String(run.results.flow.files),
        run.results.flow.mb_per_s,
        run.results.raw_put.mb_per_s,
        run.results.tus.mb_per_s,
        ratio(run.results.flow.mb_per_s, run.results.raw_put.mb_per_s) ?? Number.NaN,
        ratio(run.results.flow.mb_per_s, run.results.tus.mb_per_s) ?? Number.NaN,
      ]),
    ),
  );
  for (const run of m.throughput) {
    if (run.error) out.push(`  ${run.label}: ${run.error}`);
    const step = (name: keyof FlowSteps) => `${name} ${format(p50(run.steps[name]))}/${format(percentile(run.steps[name], 99))}`;
    out.push(`  ${run.label} flow steps under load, p50/p99 ms: ${step('upload')}, ${step('put')}, ${step('save')}`);
  }
  out.push(`  vs_tus_8m ${verdict(results.vs_tus_8m, 1.5, false)}`);

  out.push('', '64 MiB files, one at a time: the multipart flow (uploadFile, part URLs, 8 parts PUT 4 at a time, save) against one presigned PUT each');
  out.push(
    table(
      ['contender', 'files', 'MB/s', 'ms per file'],
      (['multipart_flow', 'raw_put'] as const).map((name) => [name, String(m.multipart[name].files), m.multipart[name].mb_per_s, m.multipart[name].ms / Math.max(1, m.multipart[name].files)]),
    ),
  );
  out.push(`  multipart_flow_vs_raw_put_64m = ${format(results.multipart_flow_vs_raw_put_64m)}`);

  const listing = results.listing;
  out.push(
    '',
    `Listing: first page of ${m.listing.list.results} files, handler in-process; each org has ${listing.files_per_org} files, ` +
      `beside another org of the same size; RCU = read capacity the page consumed`,
  );
  out.push(
    table(
      ['query', 'p50 ms', 'p99 ms', 'results', 'reads', 'RCU'],
      [
        ['list (newest first)', results.list_p50_ms, percentile(m.listing.list.latency_ms, 99), String(listing.list.results), String(listing.list.page_reads), listing.list.page_rcu],
        ['search (q, 1% match)', results.search_p50_ms, percentile(m.listing.search.latency_ms, 99), String(listing.search.results), String(listing.search.page_reads), listing.search.page_rcu],
        ['relation', results.relation_p50_ms, percentile(m.listing.relation.latency_ms, 99), String(listing.relation.results), String(listing.relation.page_reads), listing.relation.page_rcu],
        ['shared=true (grant index)', results.shared_list_p50_ms, percentile(m.listing.shared.latency_ms, 99), String(listing.shared.results), String(listing.shared.page_reads), listing.shared.page_rcu],
        ['list, org of 100 files', listing.list_small_org.p50_ms, percentile(m.listing.list_small_org.latency_ms, 99), String(listing.list_small_org.results), String(listing.list_small_org.page_reads), listing.list_small_org.page_rcu],
        ['one Query of a page', '', '', '', '1', listing.one_query_rcu],
      ],
    ),
  );
  out.push(`  list page RCU / one Query of a page = ${format(ratio(listing.list.page_rcu, listing.one_query_rcu))}`);

  out.push('', renderHandlers(results.handlers, { nodeOptions: m.nodeOptions, initRuns: m.initRuns, nodeMs: m.init.node_ms }));
  return out.join('\n');
}

/** The previews' table, the uncached/cached ratio and the first PDF render of the process. */
export function renderPreviews(p50s: Record<PreviewCase, number | null>, m: PreviewSamples): string {
  const out: string[] = [];
  out.push(
    `Previews: previewFile in-process at w=300, a new file per sample; JPEG ${photo.width} × ${photo.height} ` +
      `(gradient and noise, ${format(m.jpegBytes / 1e6)} MB), PDF of 20 pages (${format(kb(m.pdfBytes))} KiB, MuPDF's worker warm); ` +
      'uncached = first request (read, render, keep), cached = the same again (kept preview), 304 = with its ETag',
  );
  out.push(
    table(
      ['case', 'p50 ms', 'max ms', 'n'],
      previewCases.map((name) => {
        const samples = m.samples[name];
        return [name, p50s[name] ?? Number.NaN, samples.length > 0 ? Math.max(...samples) : Number.NaN, String(samples.length)];
      }),
    ),
  );
  const uncached = p50s.jpeg_12mp_300px_uncached;
  const cached = p50s.jpeg_12mp_300px_cached;
  out.push(`  JPEG uncached/cached = ${format(uncached)} / ${format(cached)} = ${format(ratio(uncached, cached))}`);
  if (m.pdfColdMs !== undefined) out.push(`  first PDF preview of the process (MuPDF's worker started, not in the p50): ${format(m.pdfColdMs)} ms`);
  for (const [kind, error] of Object.entries(m.errors)) out.push(`  ${kind}: ${error}`);
  return out.join('\n');
}

/** The handler table: bundle sizes, init beside its SDK floor, and the verdicts. */
export function renderHandlers(
  handlers: Record<string, HandlerResult>,
  m: { nodeOptions: string; initRuns: number; nodeMs: number },
): string {
  const out: string[] = [];
  out.push(
    `Handlers: esbuild as lib/file-service.ts bundles them; init = wall ms of a fresh \`node index.mjs\` with NODE_OPTIONS=${m.nodeOptions || '(none)'}` +
      ` (module loaded, top level run, exit), median of ${m.initRuns}; sdk floor = the same for a bundle that only imports and` +
      ` constructs the handler's SDK clients; \`node -e 0\` = ${format(m.nodeMs)} ms`,
  );
  out.push(
    table(
      ['handler', 'KB', 'gzip KB', 'init ms', 'sdk floor ms', 'init/floor', 'init/node', 'no NODE_OPTIONS', 'largest packages (KB)'],
      Object.entries(handlers).map(([entry, handler]) => [
        entry,
        handler.bundle_kb,
        handler.bundle_gz_kb,
        handler.init_ms,
        handler.sdk_floor_ms,
        handler.init_vs_sdk_floor ?? Number.NaN,
        handler.init_vs_node ?? Number.NaN,
        handler.init_ms_no_node_options ?? Number.NaN,
        Object.entries(handler.largest_packages_kb)
          .map(([name, size]) => `${name} ${format(size)}`)
          .join(', '),
      ]),
    ),
  );
  const worstOf = (pick: (handler: HandlerResult) => number | null) =>
    Math.max(...Object.values(handlers).map((handler) => pick(handler) ?? Number.POSITIVE_INFINITY));
  const worstFloor = worstOf((handler) => handler.init_vs_sdk_floor);
  const worstNode = worstOf((handler) => handler.init_vs_node);
  out.push(`  worst init_vs_sdk_floor ${format(worstFloor)}: ${verdict(Number.isFinite(worstFloor) ? worstFloor : null, 1.15, true)}`);
  out.push(`  worst init_vs_node ${format(worstNode)}: ${verdict(Number.isFinite(worstNode) ? worstNode : null, 2, true)}`);
  return out.join('\n');
}
