import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the server wrote to its log during the run, counted by level. */
export interface ServerLog {
  lines: number;
  byLevel: Record<string, number>;
  /** The first warn and error lines (already redacted by the service), cut to 500 characters. */
  problems: string[];
}

export interface StartedService {
  url: string;
  token: string;
  /** The `npm start` process; the service, tsx and DynamoDB Local's Java run below it. */
  pid: number;
  dataDir: string;
  log(): ServerLog;
  /** Objects the local S3 holds now, by top-level prefix. */
  storage(): Promise<StorageCount>;
  /** SIGTERM, then (after 30 s) SIGKILL to the whole group; removes the data dir. */
  stop(): Promise<StopOutcome>;
}

/** Objects in the local S3's data dir: saved files (`files/`) and unsaved uploads (`temp/`). */
export interface StorageCount {
  savedObjects: number;
  tempObjects: number;
}

export interface StopOutcome {
  exitCode: number | null;
  signal: string | null;
  killed: boolean;
  /** Processes still mentioning the data dir after the stop (should be none). */
  leftovers: string[];
}

/** Runs `npm start` on a free port with a fresh data dir and waits for its banner. */
export async function startService(root: string, startTimeoutMs = 120_000): Promise<StartedService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'file-service-load-'));
  // Own process group, so a stuck service can be killed as a whole; Ctrl-C is forwarded by the CLI.
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = once(child, 'exit');
  exited.catch(() => undefined);
  const log: ServerLog = { lines: 0, byLevel: {}, problems: [] };
  let banner = '';
  let bannerDone = false;
  let pending = '';
  const onLine = (line: string) => {
    if (!bannerDone) {
      banner += `${line}\n`;
      if (line.includes('Press Ctrl-C')) bannerDone = true;
      return;
    }
    if (!line.trim()) return;
    log.lines += 1;
    let level = 'text';
    if (line.startsWith('{')) {
      try {
        level = String((JSON.parse(line) as { level?: unknown }).level ?? 'text');
      } catch {
        level = 'text';
      }
    }
    log.byLevel[level] = (log.byLevel[level] ?? 0) + 1;
    if ((level === 'warn' || level === 'error' || level === 'text') && log.problems.length < 10) log.problems.push(line.slice(0, 500));
  };
  const onData = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    lines.forEach(onLine);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const deadline = Date.now() + startTimeoutMs;
  while (!bannerDone) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stopChild(child, exited, dataDir);
      throw new Error(`npm start did not come up:\n${banner}${pending}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /running at (http:\/\/\S+)/.exec(banner)?.[1];
  const token = /export TOKEN=(\S+)/.exec(banner)?.[1];
  if (!url || !token || child.pid === undefined) {
    await stopChild(child, exited, dataDir);
    throw new Error(`could not read the URL and token from the banner of npm start:\n${banner}`);
  }
  let stopping: Promise<StopOutcome> | undefined;
  return {
    url,
    token,
    pid: child.pid,
    dataDir,
    log: () => ({ ...log, byLevel: { ...log.byLevel }, problems: [...log.problems] }),
    storage: () => countObjects(join(dataDir, 's3')),
    stop: () => (stopping ??= stopChild(child, exited, dataDir)),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown[]>, dataDir: string): Promise<StopOutcome> {
  let killed = false;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = new Promise((resolve) => setTimeout(resolve, 30_000).unref());
    if ((await Promise.race([exited.then(() => 'exited'), timer])) !== 'exited') {
      killed = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await exited;
    }
  }
  // DynamoDB Local may take a moment after npm itself has exited.
  let leftovers = await processesMentioning(dataDir);
  for (let attempt = 0; leftovers.length > 0 && attempt < 20; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    leftovers = await processesMentioning(dataDir);
  }
  await rm(dataDir, { recursive: true, force: true });
  return { exitCode: child.exitCode, signal: child.signalCode, killed, leftovers };
}

/** Command lines of running processes that mention `text` (Linux /proc; empty elsewhere). */
export async function processesMentioning(text: string): Promise<string[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  const found: string[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${entry} ${cmdline.split('\0').join(' ').slice(0, 200)}`);
  }
  return found;
}

/** Counts s3rver's object files (`<bucket>/<key>._S3rver_object`) under files/ and temp/ of every bucket. */
async function countObjects(s3Dir: string): Promise<StorageCount> {
  const count = { savedObjects: 0, tempObjects: 0 };
  const buckets = await readdir(s3Dir, { withFileTypes: true }).catch(() => []);
  for (const bucket of buckets.filter((entry) => entry.isDirectory())) {
    for (const [prefix, field] of [['files', 'savedObjects'], ['temp', 'tempObjects']] as const) {
      const entries = await readdir(join(s3Dir, bucket.name, prefix), { recursive: true }).catch(() => [] as string[]);
      count[field] += entries.filter((entry) => entry.endsWith('._S3rver_object')).length;
    }
  }
  return count;
}
