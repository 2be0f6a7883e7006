import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resumeFile, run } from '../../../cli/main';

/** Runs the command line in this process with no service behind it; answers its exit code and output. */
async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        append(chunk.toString());
        callback();
      },
    });
  const code = await run(args, { out: sink((text) => (out += text)), err: sink((text) => (err += text)) }, env, new AbortController().signal);
  return { code, out, err };
}

describe('the command line', () => {
  it('prints its help with the exit codes and exits 0', async () => {
    // Act
    const help = await runCli(['--help']);

    // Assess
    expect(help.code).toBe(0);
    expect(help.out).toContain('Exit codes: 0 done, 1 the service refused');
    expect(help.out).toMatch(/upload \[options\] <paths\.\.\.>/);
  });

  it.each([
    [['upload'], "error: missing required argument 'paths'"],
    [['share', 'f1', '--expires', 'soon'], 'must be a span such as 7d'],
    [['ls', '--size-min', 'big'], 'must be a size such as 16MiB'],
    [['ls', '--limit', 'ten'], 'must be a whole number'],
    [['download', 'f1', '--version', '-1'], 'must be a whole number'],
    [['ls', '--url', 'not a url'], 'error: not a URL: not a url'],
    [['ls', '--url', 'https://files.example.com'], 'error: no token: pass --token or set FILE_SERVICE_TOKEN'],
    [['upload', 'a.txt', 'b.txt', '--id', 'f1'], 'error: --id and --name take one path'],
  ])('exits 2 for wrong usage: %j', async (args, message) => {
    // Act
    const result = await runCli(args);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.out).toBe('');
  });

  it('keeps unfinished uploads under XDG_CACHE_HOME, else under ~/.cache', () => {
    // Act
    const withXdg = resumeFile({ XDG_CACHE_HOME: '/var/cache/me' });
    const withoutXdg = resumeFile({});

    // Assess
    expect(withXdg).toBe('/var/cache/me/file-service/uploads.json');
    expect(withoutXdg).toMatch(/\/\.cache\/file-service\/uploads\.json$/);
  });
});
