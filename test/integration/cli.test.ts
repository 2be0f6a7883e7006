import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from './support/npm-start';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ localSignIn: true, sweepIntervalMs: 0 });
const cliPath = join(projectRoot, 'dist', 'cli.js');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
let directory: string;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The bin as `npm ci` builds it: the tests' global setup runs the same build from these sources.
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cli-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** The environment of a user of the local stack: its URL, no token, a cache of their own. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { FILE_SERVICE_TOKEN: _token, ...env } = process.env;
  return { ...env, FILE_SERVICE_URL: context.stack.url, XDG_CACHE_HOME: join(directory, 'cache'), ...extra };
}

/** Runs `file-service <args>`; `onStderr` sees each stderr line as it comes and may kill the process. */
function cli(args: string[], options: { env?: NodeJS.ProcessEnv; onStderr?: (line: string, kill: () => void) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: options.env ?? userEnv(), cwd: directory, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onStderr?.(line, () => child.kill('SIGKILL'));
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const percents = (stderr: string) => [...stderr.matchAll(/ (\d+)% /g)].map((match) => Number(match[1]));

async function uploadOne(name: string, content: string | Uint8Array, ...flags: string[]): Promise<string> {
  await writeFile(join(directory, name), content);
  const run = await cli(['upload', name, ...flags]);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.split('\t')[0] ?? '';
}

describe('the file-service command line', () => {
  it('uploads a small file without a token through the local sign-in and prints its id', async () => {
    // Prepare
    await writeFile(join(directory, 'hello.txt'), 'hello, cli');

    // Act
    const run = await cli(['upload', 'hello.txt', '--tag', 'greeting', '--tag', 'cli']);
    const id = run.stdout.split('\t')[0] ?? '';
    const shown = await cli(['get', id, '--json']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^[0-9a-f-]{36}\thello\.txt\n$/);
    expect(run.stderr).toContain('hello.txt 100% 10 B of 10 B');
    expect(JSON.parse(shown.stdout)).toMatchObject({ _id: id, _org: 'demo-org', filename: 'hello.txt', size_bytes: 10, _tags: ['greeting', 'cli'] });
  });

  it('uploads 50 MB in parts, killed half-way, and the same command resumes it with progress from where it stopped', async () => {
    // Prepare
    const bytes = randomBytes(50 * 1000 * 1000);
    await writeFile(join(directory, 'big.bin'), bytes);
    const args = ['upload', 'big.bin', '--multipart-threshold', '8MiB', '--concurrency', '1'];
    const first = await cli(args, { onStderr: (line, kill) => /\b([3-9]\d)% /.test(line) && kill() });
    const remembered = JSON.parse(await readFile(join(directory, 'cache', 'file-service', 'uploads.json'), 'utf8')) as Record<string, unknown>;

    // Act
    const second = await cli(args);
    const id = second.stdout.split('\t')[0] ?? '';
    const download = await cli(['download', id, '-o', 'big.copy']);

    // Assess
    expect(first.code, first.stderr).toBeNull(); // killed
    expect(Object.keys(remembered)).toHaveLength(1);
    expect(second.code, second.stderr).toBe(0);
    expect(percents(second.stderr)[0], second.stderr).toBeGreaterThanOrEqual(10);
    expect(percents(second.stderr).at(-1)).toBe(100);
    expect(second.stderr).toMatch(/big\.bin uploaded: [0-9a-f-]{36} 50 MB/);
    expect(download.code, download.stderr).toBe(0);
    expect(percents(download.stderr).at(-1)).toBe(100);
    expect(sha256(await readFile(join(directory, 'big.copy')))).toBe(sha256(bytes));
    expect(JSON.parse(await readFile(join(directory, 'cache', 'file-service', 'uploads.json'), 'utf8'))).toEqual({});
  });

  it('lists and searches with the filters of GET /v2/files as a table or JSON', async () => {
    // Prepare
    const report = await uploadOne('quarterly-report.txt', 'numbers', '--tag', 'q3-listing');
    const memo = await uploadOne('memo.txt', 'words', '--tag', 'q3-listing');

    // Act
    const listed = await cli(['ls', '--tag', 'q3-listing', '--json']);
    const sorted = await cli(['ls', '--tag', 'q3-listing', '--sort', 'filename']);
    const found = await cli(['search', 'quarterly', '--tag', 'q3-listing']);

    // Assess
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { results: Array<{ _id: string }> }).results.map((file) => file._id)).toEqual([memo, report]);
    const rows = sorted.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^ID\s+SIZE\s+TYPE\s+CREATED\s+FILENAME$/);
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).toEqual([memo, report]);
    expect(found.stdout).toContain(report);
    expect(found.stdout).not.toContain(memo);
  });

  it('shows a file, adds a version and lists both versions, and downloads the older one', async () => {
    // Prepare
    const id = await uploadOne('draft.txt', 'first draft');
    await writeFile(join(directory, 'draft.txt'), 'second draft, longer');

    // Act
    const added = await cli(['upload', 'draft.txt', '--id', id]);
    const shown = await cli(['get', id]);
    const versions = await cli(['versions', id]);
    const older = await cli(['download', id, '--version', '1', '-o', '-']);

    // Assess
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('(version 2)');
    expect(shown.stdout).toMatch(/^id:\s+\S+\nfilename:\s+draft\.txt\nsize:\s+20 B \(20 bytes\)/);
    expect(shown.stdout).toMatch(/versions:\s+2/);
    expect(versions.stdout.trim().split('\n').map((row) => row.split(/\s+/).slice(0, 3).join(' '))).toEqual(['VERSION SIZE MIME', '0 20 B', '1 11 B']);
    expect(older.stdout).toBe('first draft');
  });

  it('shares a file through a public link that downloads without a token', async () => {
    // Prepare
    const id = await uploadOne('shared.txt', 'for everyone');

    // Act
    const run = await cli(['share', id, '--expires', '7d']);
    const response = await fetch(run.stdout.trim());

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/files\/public\/links\/[\w-]{32}\/shared\.txt\n$/);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('for everyone');
  });

  it('deletes a file, after which get exits 1 with the 404', async () => {
    // Prepare
    const id = await uploadOne('gone.txt', 'bye');

    // Act
    const removed = await cli(['rm', id]);
    const shown = await cli(['get', id]);

    // Assess
    expect(removed).toMatchObject({ code: 0, stdout: `deleted ${id} gone.txt\n` });
    expect(shown.code).toBe(1);
    expect(shown.stderr).toBe(`error: File ${id} not found (HTTP 404)\n`);
  });

  it('exits 1 with the 401 for a bad token, 3 when nothing listens, and 2 for wrong usage', async () => {
    // Prepare
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));

    // Act
    const badToken = await cli(['ls'], { env: userEnv({ FILE_SERVICE_TOKEN: 'not-a-token' }) });
    const noServer = await cli(['ls', '--url', deadUrl]);
    const noFile = await cli(['upload', 'no-such-file.bin']);
    const unknown = await cli(['lst']);

    // Assess
    expect(badToken.code).toBe(1);
    expect(badToken.stderr).toMatch(/^error: .+ \(HTTP 401\)\n$/);
    expect(noServer.code).toBe(3);
    expect(noServer.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:\d+: .+\n$/);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toBe('error: cannot read no-such-file.bin: not a file\n');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'lst'");
  });
});
