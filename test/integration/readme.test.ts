import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** The shell lines of a README section, exactly as a reader would paste them. */
async function walkthrough(name = 'walkthrough'): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = new RegExp(`<!-- ${name}:start -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme)?.[1] ?? '';
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((block) => block[1]).join('\n');
}

describe('the README', () => {
  let stack: LocalStack;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'file-service-readme-'));
    stack = await startLocalStack({ dataDir });
  });

  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has a curl walkthrough of the three steps that works as written', async () => {
    // Prepare: the only change is the port, which npm start would have on 3000.
    const script = (await walkthrough()).replaceAll('http://127.0.0.1:3000', stack.url);

    // Act
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    });

    // Assess
    expect(script).toContain('/v2/files/upload');
    expect(stdout).toMatch(/"upload_url":"http/);
    expect(stdout).toMatch(/saved file [0-9a-f-]{36}/);
    expect(stdout).toContain('"filename":"hello.txt"');
    expect(stdout).toContain('hello, world');
    expect(stdout.trim().split('\n').at(-1)).toMatch(/^\{"status":404,/);
  });

  it('shows a service attaching a file to its record and finding it again, working as written', async () => {
    // Prepare: the relations example continues in the walkthrough's terminal.
    const script = `${await walkthrough()}\n${await walkthrough('relations')}`.replaceAll('http://127.0.0.1:3000', stack.url);

    // Act
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    });

    // Assess
    expect(script).toContain('relation=order-4711');
    const lines = stdout.trim().split('\n');
    expect(lines.at(-2)).toBe('["invoice.pdf"]');
    expect(lines.at(-1)).toBe('1');
  });

  it('shows a multipart upload interrupted, resumed and saved, working as written', async () => {
    // Prepare: the multipart example continues in the walkthrough's terminal.
    const script = `${await walkthrough()}\n${await walkthrough('multipart')}`.replaceAll('http://127.0.0.1:3000', stack.url);

    // Act
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    });

    // Assess
    expect(script).toContain('/parts');
    const lines = stdout.trim().split('\n');
    expect(lines.at(-2)).toBe('[1]');
    expect(lines.at(-1)).toBe('12582912');
  });

  it('shows a backend saving a file for a user and the user sharing it with another org, working as written', async () => {
    // Prepare: the sharing example continues in the walkthrough's terminal.
    const script = `${await walkthrough()}\n${await walkthrough('sharing')}`.replaceAll('http://127.0.0.1:3000', stack.url);

    // Act
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    });

    // Assess
    expect(script).toContain('--service');
    expect(stdout.trim().split('\n').slice(-3)).toEqual(['200', '404', '["contract.txt"]']);
  });
});
