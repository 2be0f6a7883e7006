import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checks } from '../../bin/smoke/checks';

/**
 * `npm run smoke` against `npm start`, both as child processes, as a user runs them after
 * `cdk deploy` (with the deployment's URL instead of the local one).
 */

const root = join(import.meta.dirname, '..', '..');
const startTimeoutMs = 90_000;
const smokeTimeoutMs = 100_000;

let dataDir: string;
let server: ChildProcess | undefined;
let url: string;
let output = '';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run -s <script> -- <args>` with the test's data dir; resolves with its exit code, never rejects on one. */
function npmRun(script: string, args: string[], timeoutMs = smokeTimeoutMs): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['run', '-s', script, '--', ...args],
      { cwd: root, env: { ...process.env, LOCAL_DATA_DIR: dataDir }, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        if (error && code === null) reject(new Error(`npm run ${script} did not finish: ${error.message}\n${stdout}\n${stderr}`));
        else resolve({ code, stdout, stderr });
      },
    );
  });
}

async function token(org: string, user: string): Promise<string> {
  const run = await npmRun('token', ['--org', org, '--user', user], 60_000);
  if (run.code !== 0) throw new Error(`npm run token failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').at(-1) ?? '';
}

/** Stops `npm start` and everything it started: its whole process group. */
async function stopServer(): Promise<void> {
  const child = server;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), name);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'file-service-smoke-'));
  // Its own process group, so that afterAll can stop npm, tsx, node and Java together.
  server = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + startTimeoutMs;
  while (!output.includes('Press Ctrl-C')) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  url = /running at (http:\/\/\S+)/.exec(output)?.[1] ?? '';
}, startTimeoutMs + 10_000);

afterAll(async () => {
  await stopServer();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('npm run smoke', () => {
  it('passes every check against npm start, one ok line per check, and exits 0', async () => {
    // Prepare
    const own = await token('smoke-org-a', 'alice');
    const other = await token('smoke-org-b', 'bob');

    // Act
    const run = await npmRun('smoke', ['--url', url, '--token', own, '--other-token', other]);

    // Assess
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((line) => !line.startsWith('ok '))).toEqual([]);
    expect(lines).toEqual(checks.map((check) => `ok ${check.name}`));
    expect(run.code).toBe(0);
  }, smokeTimeoutMs + 60_000);

  it('prints FAIL with the reason and exits 1 when the deployment refuses the token', async () => {
    // Act
    const run = await npmRun('smoke', ['--url', url, '--token', 'not-a-jwt']);

    // Assess
    const lines = run.stdout.trim().split('\n');
    expect(run.code).toBe(1);
    expect(lines[0]).toMatch(/^FAIL upload: .*expected 201, got 401 \{"message":"Unauthorized"\}/);
    expect(lines).toContain('ok no token: API Gateway answers 401 {"message":"Unauthorized"}');
    expect(lines.filter((line) => line.startsWith('skip '))).toEqual([
      expect.stringMatching(/^skip other org: .*: no --other-token given$/),
    ]);
  }, smokeTimeoutMs + 10_000);

  it('explains its usage and exits 2 when --url or --token is missing', async () => {
    // Act
    const run = await npmRun('smoke', ['--url', url], 60_000);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--token is required');
    expect(run.stderr).toContain('usage: npm run smoke -- --url <api url> --token <jwt>');
  }, 70_000);
});
