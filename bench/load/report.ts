import type { MemoryReport } from './memory';
import type { LoadResult } from './run';
import type { ServerLog, StopOutcome, StorageCount } from './server';
import type { Summary } from './stats';

/** Everything one CLI run reports (and writes with --json, without the list of file ids). */
export interface LoadReport {
  result: LoadResult;
  target: { url: string; mode: 'spawned npm start' | 'existing service'; pid?: number };
  memory: MemoryReport;
  serverLog?: ServerLog;
  /** Objects in the spawned service's local S3 right after the run. */
  storage?: StorageCount;
  serverStop?: StopOutcome;
  /** Non-latency reasons the run failed (errors, a server that did not stop cleanly, ...). */
  problems: string[];
}

export function problemsOf(result: LoadResult, stop?: StopOutcome, storage?: StorageCount): string[] {
  const problems: string[] = [];
  // Only a clean run can be checked: after a failed or aborted request the server may still be working on it.
  if (storage && result.errors === 0 && storage.savedObjects !== result.fileIds.length) {
    problems.push(`the local S3 holds ${storage.savedObjects} saved objects for ${result.fileIds.length} saved files`);
  }
  if (storage && result.errors === 0 && storage.tempObjects > 0) {
    problems.push(`${storage.tempObjects} temp/ uploads left in the local S3 although every save succeeded`);
  }
  if (result.errors > 0) problems.push(`${result.errors} of ${result.flows} flows failed`);
  if (result.stoppedBy !== 'completion') problems.push(`the run was stopped by ${result.stoppedBy === 'timeout' ? 'its time limit' : 'an abort'}`);
  if (stop && (stop.exitCode !== 0 || stop.killed)) {
    problems.push(`the server did not stop cleanly on SIGTERM (exit ${stop.exitCode ?? stop.signal}${stop.killed ? ', killed after 30 s' : ''})`);
  }
  if (stop && stop.leftovers.length > 0) problems.push(`processes left behind: ${stop.leftovers.join('; ')}`);
  return problems;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const mib = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : 'n/a');

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '))
    .join('\n');
}

export function formatReport(report: LoadReport): string {
  const { result, memory } = report;
  const out: string[] = [];
  const verify = result.verifyEvery === 0 ? 'no verification' : result.verifyEvery === 1 ? 'verify every flow' : `verify every ${result.verifyEvery}th flow`;
  out.push(
    `Load: ${result.flows} flows x 3 steps, concurrency ${result.concurrency}, ${result.size} B files, ${verify}`,
    `Target: ${report.target.url} (${report.target.mode}${report.target.pid !== undefined ? `, pid ${report.target.pid}` : ''})`,
    `Duration: ${(result.durationMs / 1000).toFixed(1)} s   throughput: ${result.throughput.flowsPerSecond.toFixed(1)} flows/s, ${result.throughput.megabytesPerSecond.toFixed(2)} MB/s uploaded`,
    `Flows: ${result.ok} ok, ${result.errors} errors, ${result.verified} downloaded and byte-compared${result.stoppedBy !== 'completion' ? `, stopped by ${result.stoppedBy}` : ''}`,
    '',
  );
  const row = (name: string, s: Summary) => [name, String(s.count), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), ms(s.mean)];
  out.push(
    table([
      ['latency (ms)', 'count', 'p50', 'p95', 'p99', 'max', 'mean'],
      row('1 upload (POST /v2/files/upload)', result.latency.upload),
      row('2 put (PUT upload_url)', result.latency.put),
      row('3 save (POST /v2/files)', result.latency.save),
      row('flow (1+2+3)', result.latency.flow),
      row('verify (download + compare)', result.latency.verify),
    ]),
    '',
  );
  const kinds = Object.entries(result.errorsByKind).sort((a, b) => b[1] - a[1]);
  if (kinds.length === 0) out.push('Errors: 0');
  else {
    out.push(`Errors: ${result.errors}`, table([['step and status', 'flows'], ...kinds.map(([kind, count]) => [kind, String(count)])]));
    for (const sample of result.errorSamples.slice(0, 5)) out.push(`  flow ${sample.flow}: ${sample.kind}: ${sample.detail.slice(0, 200)}`);
  }
  out.push('');
  if (!memory.available) out.push(`Server memory: unavailable (${memory.reason ?? 'unknown'})`);
  else {
    const hwm = (kib: number) => (kib > 0 ? `VmHWM ${mib(kib)}` : '');
    const others = [...new Set(memory.processes.filter((p) => p.role === 'other').map((p) => shortName(p.command)))].join(', ');
    out.push(
      `Server memory: peak RSS of the process tree of pid ${memory.rootPid}, sampled every ${memory.intervalMs} ms (${memory.samples} samples)`,
      table([
        ['process', 'peak RSS', 'high-water mark'],
        ['service (node, bin/local.ts)', mib(memory.peak.serviceKiB), hwm(memory.hwm.serviceKiB)],
        ['DynamoDB Local (java)', mib(memory.peak.javaKiB), hwm(memory.hwm.javaKiB)],
        [`launchers (${others || 'none'})`, mib(memory.peak.otherKiB), ''],
        ['total (peak of the sum)', mib(memory.peak.totalKiB), ''],
      ]),
    );
  }
  if (report.serverLog) {
    const levels = Object.entries(report.serverLog.byLevel).map(([level, count]) => `${level} ${count}`).join(', ');
    out.push(`Server log: ${report.serverLog.lines} lines${levels ? ` (${levels})` : ''}`);
    for (const line of report.serverLog.problems.slice(0, 5)) out.push(`  ${line.slice(0, 300)}`);
  }
  if (report.storage) {
    out.push(`Server storage: ${report.storage.savedObjects} objects under files/, ${report.storage.tempObjects} left under temp/`);
  }
  if (report.serverStop) {
    const stop = report.serverStop;
    out.push(`Server stop: exit ${stop.exitCode ?? stop.signal}${stop.killed ? ' (killed)' : ''}, ${stop.leftovers.length} processes left behind`);
  }
  out.push('', report.problems.length === 0 ? 'Result: PASS (0 errors)' : `Result: FAIL: ${report.problems.join('; ')}`);
  return out.join('\n');
}

function shortName(command: string): string {
  const parts = command.split(' ');
  const script = parts.find((part) => /(^|\/)(tsx|npm|esbuild)$/.test(part) || /\/(tsx|esbuild)\b/.test(part));
  if (command.startsWith('npm')) return 'npm';
  if (script?.includes('esbuild')) return 'esbuild';
  if (script?.includes('tsx')) return 'tsx';
  return (parts[0] ?? '').split('/').pop() ?? command;
}

/** The report as JSON, without the (long) list of file ids. */
export function toJson(report: LoadReport): string {
  const { fileIds, ...result } = report.result;
  return `${JSON.stringify({ ...report, result: { ...result, savedFiles: fileIds.length } }, null, 2)}\n`;
}
