import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

/** A README section's code blocks in the given language, exactly as a reader would paste them. */
async function codeOf(name: string, language: 'bash' | 'ts'): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = new RegExp(`<!-- ${name}:start -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme)?.[1] ?? '';
  return [...section.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((block) => block[1]).join('\n');
}

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
    // As npm start: the command line signs in through the local sign-in.
    stack = await startLocalStack({ dataDir, localSignIn: true });
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

  it('has a quick start with the command line that works as written against npm start', async () => {
    // Prepare: the command line's default URL is npm start's; only the port differs here.
    const script = await codeOf('quickstart', 'bash');
    const cache = await mkdtemp(join(tmpdir(), 'file-service-readme-cli-'));

    // Act
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: root,
      env: { ...process.env, FILE_SERVICE_URL: stack.url, XDG_CACHE_HOME: cache, FILE_SERVICE_TOKEN: '' },
    });
    await rm(cache, { recursive: true, force: true });

    // Assess
    expect(script).toContain('npx file-service upload');
    const lines = stdout.trim().split('\n');
    expect(lines).toContain('hello, world');
    expect(stdout).toMatch(/hello\.txt/);
    expect(lines.at(-2)).toMatch(new RegExp(`^${stack.url}/v1/files/public/links/[A-Za-z0-9_-]+/hello\\.txt$`));
    expect(lines.at(-1)).toMatch(/^deleted [0-9a-f-]{36}\b/);
  });

  it('shows the typed client uploading and sharing a file in a few lines that run as written', async () => {
    // Prepare: the snippet, with npm start's address swapped for this stack's, in the package (so its import by name resolves).
    const snippet = (await codeOf('client-example', 'ts')).replaceAll('http://127.0.0.1:3000', stack.url);
    await mkdir(join(root, '.local'), { recursive: true });
    const dir = await mkdtemp(join(root, '.local', 'readme-client-'));
    await writeFile(join(dir, 'example.ts'), snippet);
    const token = await stack.auth.sign({ org: 'readme-org', user: 'reader' }, 600);

    // Act
    const { stdout } = await run(join(root, 'node_modules', '.bin', 'tsx'), [join(dir, 'example.ts')], { cwd: root, env: { ...process.env, TOKEN: token } });
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(snippet).toContain("from 'serverless-file-service/client'");
    const [id, link] = stdout.trim().split('\n').at(-1)?.split(' ') ?? [];
    expect(link).toMatch(new RegExp(`/v1/files/public/links/[A-Za-z0-9_-]+/hello\\.txt$`));
    const shared = await fetch(String(link));
    expect(await shared.text()).toBe('hello, world');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
