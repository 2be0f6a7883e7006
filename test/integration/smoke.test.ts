import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checks } from '../../bin/smoke/checks';
import { NpmStartRuns, projectRoot } from './support/npm-start';

/**
 * `npm run smoke` against `npm start`, both as child processes, as a user runs them after
 * `cdk deploy` (with the deployment's URL instead of the local one).
 */

const startTimeoutMs = 90_000;
const smokeTimeoutMs = 100_000;
const runs = new NpmStartRuns();

let dataDir: string;
let url: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run -s <script> -- <args>` with the test's data dir, leading its own process group so a
 * run that outlasts `timeoutMs` is killed whole (npm, tsx and node); resolves with its exit code.
 */
function npmRun(script: string, args: string[], timeoutMs = smokeTimeoutMs): Promise<Run> {
  const child = spawn('npm', ['run', '-s', script, '--', ...args], {
    cwd: projectRoot,
    env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
      reject(new Error(`npm run ${script} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function token(org: string, user: string): Promise<string> {
  const run = await npmRun('token', ['--org', org, '--user', user], 60_000);
  if (run.code !== 0) throw new Error(`npm run token failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').at(-1) ?? '';
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'file-service-smoke-'));
  ({ url } = await runs.start({ env: { LOCAL_DATA_DIR: dataDir }, readyWithinMs: startTimeoutMs }));
}, startTimeoutMs + 10_000);

// npm, tsx, the service and DynamoDB Local's Java all go, whatever state a test left them in.
afterAll(async () => {
  const left = await runs.killAll();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  expect(left).toEqual([]);
}, 60_000);

describe('npm run smoke', () => {
  it('passes every check against npm start, one ok line per check, and exits 0', async () => {
    // Prepare
    const own = await token('smoke-org-a', 'alice');
    const other = await token('smoke-org-b', 'bob');

    // Act
    const run = await npmRun('smoke', ['--url', url, '--token', own, '--other-token', other, '--timeout', '5']);

    // Assess
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((line) => !line.startsWith('ok '))).toEqual([]);
    expect(lines).toEqual(checks.map((check) => `ok ${check.name}`));
    expect(run.code).toBe(0);
  }, smokeTimeoutMs + 60_000);

  it('prints FAIL with the reason and exits 1 when the deployment refuses the token', async () => {
    // Act
    const run = await npmRun('smoke', ['--url', url, '--token', 'not-a-jwt', '--timeout', '5']);

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
