import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
/** npm's own entry script, run with this node: the PATH below holds only node and sh. */
const npmCli = process.env.npm_execpath ?? '/usr/lib/node_modules/npm/bin/npm-cli.js';

/** Runs an npm command with a PATH that has node and sh but no java; returns its failure. */
async function withoutJava(args: string[]): Promise<{ code: number; lines: string[] }> {
  const bin = await mkdtemp(join(tmpdir(), 'no-java-'));
  try {
    await symlink(process.execPath, join(bin, 'node'));
    await symlink('/bin/sh', join(bin, 'sh'));
    const failure = await run(process.execPath, [npmCli, ...args, '--silent'], {
      cwd: root,
      env: { ...process.env, PATH: bin, PORT: '0', LOCAL_DATA_DIR: join(bin, 'data') },
      timeout: 50_000,
    }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: unknown) => error as { code: number; stdout: string; stderr: string },
    );
    return { code: failure.code, lines: `${failure.stdout}${failure.stderr}`.trim().split('\n') };
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
}

const installJava = /^Java was not found \(DynamoDB Local runs on it\): install a Java 17\+ runtime/;

describe('a machine without Java', () => {
  it('gets one line from npm start that says what to install, not a stack trace', async () => {
    const result = await withoutJava(['start']);
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([expect.stringMatching(installJava)]);
  });

  it('gets the same line before npm test runs anything', async () => {
    const result = await withoutJava(['run', 'pretest']);
    expect(result.code).toBe(1);
    expect(result.lines).toEqual([expect.stringMatching(installJava)]);
  });
});
