import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, uploadFile } from './support/api';
import { NpmStartRuns, processesInGroup, processesMentioning, projectRoot, untilNone } from './support/npm-start';

const run = promisify(execFile);
const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');

/** Each wait is bounded (a start took 18-31 s on a busy 2-core machine), and each test's timeout is larger than the sum of its waits. */
const readyWithinMs = 60_000;
const exitWithinMs = 15_000;
const goneWithinMs = 5_000;

describe('npm start', () => {
  const runs = new NpmStartRuns();
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'file-service-start-'));
  });

  afterEach(async () => {
    // Whatever the test did or failed to do, nothing it started may outlive it.
    expect(await runs.killAll()).toEqual([]);
    expect(await untilNone(() => processesMentioning(dataDir), goneWithinMs)).toEqual([]);
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'serves the API, keeps files across a restart and leaves no process behind when npm gets SIGTERM',
    // Two starts and two stops, each bounded, plus a few requests.
    { timeout: 2 * (readyWithinMs + exitWithinMs + goneWithinMs) + 20_000 },
    async () => {
      // Prepare
      const env = { LOCAL_DATA_DIR: dataDir };
      const first = await runs.start({ env, readyWithinMs });
      const entity = await uploadFile(new Api(first.url, first.token), {
        filename: 'kept.txt',
        mimeType: 'text/plain',
        bytes: Buffer.from('still here'),
      });

      // Act
      const firstExit = await runs.stop(first, { withinMs: exitWithinMs });
      const leftAfterFirst = await processesMentioning(dataDir);
      const groupAfterFirst = await untilNone(() => processesInGroup(first.pgid), goneWithinMs);
      const second = await runs.start({ env, readyWithinMs });
      const bytes = await downloadBytes(new Api(second.url, second.token), entity._id);
      const secondExit = await runs.stop(second, { withinMs: exitWithinMs });

      // Assess
      expect(first.output()).toContain('curl');
      expect(firstExit).toBe(0);
      expect(leftAfterFirst).toEqual([]);
      expect(groupAfterFirst).toEqual([]);
      expect(bytes.toString()).toBe('still here');
      expect(secondExit).toBe(0);
      expect(await processesMentioning(dataDir)).toEqual([]);
      expect(await untilNone(() => processesInGroup(second.pgid), goneWithinMs)).toEqual([]);
    },
  );

  it(
    'npm run token prints, as its last line, a token the running service accepts for that org',
    { timeout: readyWithinMs + 20_000 + exitWithinMs + 20_000 },
    async () => {
      // Prepare
      const started = await runs.start({ env: { LOCAL_DATA_DIR: dataDir }, readyWithinMs });
      const { stdout } = await run(tsx, ['bin/token.ts', '--org', 'acme', '--user', 'jane'], {
        cwd: projectRoot,
        env: { ...process.env, LOCAL_DATA_DIR: dataDir },
        timeout: 20_000,
      });
      const token = stdout.trim().split('\n').at(-1) ?? '';

      // Act
      const acme = await uploadFile(new Api(started.url, token), { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });
      const seenByDemo = await new Api(started.url, started.token).get(`/v2/files/${acme._id}`);
      const exit = await runs.stop(started, { withinMs: exitWithinMs });

      // Assess
      expect(acme._org).toBe('acme');
      expect(seenByDemo.status).toBe(404);
      expect(exit).toBe(0);
    },
  );
});
