import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm start` as a user runs it, for tests that need the real entry point. Each run leads its
 * own process group (npm, its shell, tsx, the service, DynamoDB Local's Java, esbuild), so a
 * test can always end all of it, even when an assertion failed half-way.
 */

const run = promisify(execFile);
export const projectRoot = join(import.meta.dirname, '..', '..', '..');

export interface NpmStart {
  child: ChildProcess;
  /** The process group npm leads; its id is npm's pid. */
  pgid: number;
  url: string;
  /** The demo-org token the banner prints. */
  token: string;
  output: () => string;
}

export interface StartOptions {
  /** Added to this process's environment; PORT defaults to 0 (a free port). */
  env?: Record<string, string>;
  /** How long to wait for the banner. Keep it below the test's timeout. */
  readyWithinMs?: number;
}

export interface ProcessLine {
  pid: number;
  pgid: number;
  args: string;
}

/** Every live (not zombie) process, with its group. */
export async function listProcesses(): Promise<ProcessLine[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,pgid=,stat=,args=']);
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && !match[3]?.startsWith('Z'))
    .map((match) => ({ pid: Number(match[1]), pgid: Number(match[2]), args: match[4] ?? '' }))
    .filter((line) => line.pid !== process.pid && !line.args.startsWith('ps -eo'));
}

/** Processes of a group that still run. */
export async function processesInGroup(pgid: number): Promise<string[]> {
  return (await listProcesses()).filter((line) => line.pgid === pgid).map((line) => `${line.pid} ${line.args}`);
}

/** Processes (DynamoDB Local's Java among them) whose command line mentions `text`, e.g. a data dir. */
export async function processesMentioning(text: string): Promise<string[]> {
  return (await listProcesses()).filter((line) => line.args.includes(text)).map((line) => `${line.pid} ${line.args}`);
}

/** Polls `check` until it returns an empty list or `withinMs` passes; returns its last answer. */
export async function untilNone(check: () => Promise<string[]>, withinMs: number): Promise<string[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = await check();
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts and ends `npm start` runs. Call `killAll()` in afterEach (or a finally): it kills the
 * whole process group of every run, whatever state the test left it in, and reports what is
 * still alive after that.
 */
export class NpmStartRuns {
  private readonly groups = new Set<number>();

  /** Runs `npm start` and waits for its banner; on failure the run is killed and the output thrown. */
  async start({ env = {}, readyWithinMs = 45_000 }: StartOptions = {}): Promise<NpmStart> {
    const child = spawn('npm', ['start'], {
      cwd: projectRoot,
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) throw new Error('npm start could not be spawned');
    const pgid = child.pid;
    this.groups.add(pgid);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + readyWithinMs;
    while (!output.includes('Press Ctrl-C')) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        this.kill(pgid);
        throw new Error(`npm start did not come up within ${readyWithinMs} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const url = /running at (http:\/\/\S+)/.exec(output)?.[1] ?? '';
    const token = /export TOKEN=(\S+)/.exec(output)?.[1] ?? '';
    return { child, pgid, url, token, output: () => output };
  }

  /**
   * Sends `signal` to npm only, as a terminal or a process manager would, and waits for npm to
   * exit; returns its exit code. Throws if npm is still running after `withinMs`.
   */
  async stop(started: NpmStart, { signal = 'SIGTERM', withinMs = 15_000 }: { signal?: NodeJS.Signals; withinMs?: number } = {}): Promise<number | null> {
    const { child } = started;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`npm start did not exit within ${withinMs} ms of ${signal}:\n${started.output()}`)), withinMs);
    });
    try {
      return await Promise.race([exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILLs every process group started here and returns the processes still alive after `withinMs`. */
  async killAll(withinMs = 10_000): Promise<string[]> {
    const groups = [...this.groups];
    for (const pgid of groups) this.kill(pgid);
    this.groups.clear();
    return untilNone(async () => (await Promise.all(groups.map(processesInGroup))).flat(), withinMs);
  }

  private kill(pgid: number): void {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch (error) {
      // ESRCH: the whole group has already exited.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}
