import { readFile, readdir } from 'node:fs/promises';

/** What a process of the server's tree is: the service's Node process, DynamoDB Local's Java, or a launcher (npm, tsx, esbuild). */
export type Role = 'service' | 'java' | 'other';

export interface ProcessMemory {
  pid: number;
  role: Role;
  command: string;
  /** Largest VmRSS seen in a sample. */
  peakRssKiB: number;
  /** VmHWM (the kernel's own RSS high-water mark) at the last sample that saw the process. */
  hwmKiB: number;
}

export interface MemoryReport {
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  rootPid?: number;
  intervalMs: number;
  samples: number;
  /** Peak RSS, each the largest value of its own series (KiB); total is the peak of the per-sample sum over the whole tree. */
  peak: { serviceKiB: number; javaKiB: number; otherKiB: number; totalKiB: number };
  /** VmHWM of the service's Node process and of Java (KiB). */
  hwm: { serviceKiB: number; javaKiB: number };
  processes: ProcessMemory[];
}

interface Sampled {
  pid: number;
  depth: number;
  name: string;
  command: string;
  rssKiB: number;
  hwmKiB: number;
}

export function unavailableMemory(reason: string, intervalMs = 200): MemoryReport {
  return {
    available: false,
    reason,
    intervalMs,
    samples: 0,
    peak: { serviceKiB: Number.NaN, javaKiB: Number.NaN, otherKiB: Number.NaN, totalKiB: Number.NaN },
    hwm: { serviceKiB: Number.NaN, javaKiB: Number.NaN },
    processes: [],
  };
}

/**
 * Samples the resident memory of a process and all its descendants from /proc (Linux) every
 * `intervalMs`: VmRSS of each process, and VmHWM. The deepest Node process of the tree is the
 * service; `java` is DynamoDB Local; anything else (npm, the tsx launcher, esbuild) is other.
 */
export class TreeMemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private samples = 0;
  private failure: string | undefined;
  private readonly peak = { serviceKiB: 0, javaKiB: 0, otherKiB: 0, totalKiB: 0 };
  private readonly seen = new Map<number, ProcessMemory>();

  constructor(
    readonly rootPid: number,
    readonly intervalMs = 200,
  ) {}

  start(): this {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.sample().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    tick();
    return this;
  }

  /** Takes a last sample (so VmHWM is read while the processes still run) and reports. */
  async stop(): Promise<MemoryReport> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.sample();
    return this.report();
  }

  report(): MemoryReport {
    if (this.samples === 0) return { ...unavailableMemory(this.failure ?? 'no sample taken', this.intervalMs), rootPid: this.rootPid };
    const processes = [...this.seen.values()];
    const hwmOf = (role: Role) => processes.filter((p) => p.role === role).reduce((sum, p) => sum + p.hwmKiB, 0);
    return {
      available: true,
      rootPid: this.rootPid,
      intervalMs: this.intervalMs,
      samples: this.samples,
      peak: { ...this.peak },
      hwm: { serviceKiB: hwmOf('service'), javaKiB: hwmOf('java') },
      processes,
    };
  }

  private async sample(): Promise<void> {
    if (process.platform !== 'linux') {
      this.failure = `process memory needs Linux /proc (this is ${process.platform})`;
      return;
    }
    const tree = await readTree(this.rootPid);
    if (tree.length === 0) {
      this.failure ??= `process ${this.rootPid} not found`;
      return;
    }
    const nodes = tree.filter((p) => p.name === 'node' || /(^|\/)node$/.test(p.command.split(' ')[0] ?? ''));
    const deepest = Math.max(...nodes.map((p) => p.depth));
    const totals = { service: 0, java: 0, other: 0 };
    for (const p of tree) {
      const known = this.seen.get(p.pid);
      const role: Role = known?.role ?? (p.name === 'java' ? 'java' : nodes.includes(p) && p.depth === deepest ? 'service' : 'other');
      totals[role] += p.rssKiB;
      this.seen.set(p.pid, {
        pid: p.pid,
        role,
        command: known?.command ?? p.command.slice(0, 160),
        peakRssKiB: Math.max(known?.peakRssKiB ?? 0, p.rssKiB),
        hwmKiB: Math.max(known?.hwmKiB ?? 0, p.hwmKiB),
      });
    }
    this.samples += 1;
    this.peak.serviceKiB = Math.max(this.peak.serviceKiB, totals.service);
    this.peak.javaKiB = Math.max(this.peak.javaKiB, totals.java);
    this.peak.otherKiB = Math.max(this.peak.otherKiB, totals.other);
    this.peak.totalKiB = Math.max(this.peak.totalKiB, totals.service + totals.java + totals.other);
  }
}

/** The process and its descendants, breadth first; processes that exit meanwhile are skipped. */
async function readTree(rootPid: number): Promise<Sampled[]> {
  const result: Sampled[] = [];
  let level = [rootPid];
  for (let depth = 0; level.length > 0 && depth < 16; depth += 1) {
    const next: number[] = [];
    for (const pid of level) {
      const info = await readProcess(pid, depth);
      if (!info) continue;
      result.push(info);
      next.push(...(await childrenOf(pid)));
    }
    level = next;
  }
  return result;
}

async function readProcess(pid: number, depth: number): Promise<Sampled | undefined> {
  try {
    const [status, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
    ]);
    const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const name = /^Name:\s*(.*)$/m.exec(status)?.[1]?.trim() ?? '';
    return { pid, depth, name, command: cmdline.split('\0').join(' ').trim(), rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Children from /proc/<pid>/task/<tid>/children (every thread, since any may fork); else a scan of /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => undefined)));
    if (lists.every((list) => list === undefined)) throw new Error('no children files');
    return [...new Set(lists.flatMap((list) => (list ?? '').split(/\s+/).filter(Boolean).map(Number)))];
  } catch {
    return scanChildren(pid);
  }
}

async function scanChildren(pid: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) children.push(Number(entry));
  }
  return children;
}
