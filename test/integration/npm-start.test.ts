import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, uploadFile } from './support/api';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

interface Started {
  child: ChildProcess;
  url: string;
  token: string;
  output: () => string;
}

/** Runs `npm start` on a free port and waits for its banner. */
async function start(dataDir: string): Promise<Started> {
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOCAL_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /running at (http:\/\/\S+)/.exec(output)?.[1] ?? '';
  const token = /export TOKEN=(\S+)/.exec(output)?.[1] ?? '';
  return { child, url, token, output: () => output };
}

async function stop(started: Started): Promise<number | null> {
  const exited = once(started.child, 'exit');
  started.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** Processes (DynamoDB Local's Java among them) whose command line mentions the data dir. */
async function processesUsing(dataDir: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((line) => line.includes(dataDir) && !line.includes('ps -eo'));
}

describe('npm start', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'file-service-start-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the API, keeps files across a restart and leaves no process behind when npm gets SIGTERM', async () => {
    // Prepare
    const first = await start(dataDir);
    const entity = await uploadFile(new Api(first.url, first.token), {
      filename: 'kept.txt',
      mimeType: 'text/plain',
      bytes: Buffer.from('still here'),
    });

    // Act
    const firstExit = await stop(first);
    const leftAfterFirst = await processesUsing(dataDir);
    const second = await start(dataDir);
    const bytes = await downloadBytes(new Api(second.url, second.token), entity._id);
    const secondExit = await stop(second);

    // Assess
    expect(first.output()).toContain('curl');
    expect(firstExit).toBe(0);
    expect(leftAfterFirst).toEqual([]);
    expect(bytes.toString()).toBe('still here');
    expect(secondExit).toBe(0);
    expect(await processesUsing(dataDir)).toEqual([]);
  });

  it('npm run token prints, as its last line, a token the running service accepts for that org', async () => {
    // Prepare
    const started = await start(dataDir);
    const { stdout } = await run(tsx, ['bin/token.ts', '--org', 'acme', '--user', 'jane'], {
      cwd: root,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    });
    const token = stdout.trim().split('\n').at(-1) ?? '';

    // Act
    const acme = await uploadFile(new Api(started.url, token), { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });
    const seenByDemo = await new Api(started.url, started.token).get(`/v2/files/${acme._id}`);
    await stop(started);

    // Assess
    expect(acme._org).toBe('acme');
    expect(seenByDemo.status).toBe(404);
  });
});
