import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createFileServiceClient, FileServiceError, fileResumeStore, isAbortError, type components, type FileEntity, type FileServiceClient } from '../client';
import { progressLine, readableSize, table, type Streams } from './output';

/** Exit codes: documented in `file-service --help`. */
export const exitCodes = { ok: 0, refused: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

const defaultUrl = 'http://127.0.0.1:3000';

class UsageError extends Error {}

interface GlobalOptions {
  url?: string;
  token?: string;
}

type ListedFiles = components['schemas']['FilePage'];
type Version = components['schemas']['VersionPage']['results'][number];

/** Where unfinished big uploads are remembered between runs. */
export function resumeFile(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'file-service', 'uploads.json');
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The client of the command line: `--url`/`--token`, the environment, or the local sign-in of `npm start`. */
function clientOf(options: GlobalOptions, env: NodeJS.ProcessEnv): FileServiceClient {
  const baseUrl = (options.url ?? (env.FILE_SERVICE_URL || defaultUrl)).replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new UsageError(`not a URL: ${baseUrl}`);
  }
  // An empty variable counts as unset, as a shell's `export FILE_SERVICE_TOKEN=` means.
  const given = options.token ?? (env.FILE_SERVICE_TOKEN || undefined);
  let signedIn: Promise<string> | undefined;
  const token = given ?? (isLoopback(baseUrl)
    ? () => (signedIn ??= createFileServiceClient({ baseUrl }).request<{ token: string }>('POST', '/local/token').then((answer) => answer.token).catch((error: unknown) => {
        if (error instanceof FileServiceError && error.status === 404) {
          throw new FileServiceError(404, 'no token: pass --token or FILE_SERVICE_TOKEN (this server has no local sign-in)');
        }
        throw error;
      }))
    : undefined);
  if (!token) throw new UsageError('no token: pass --token or set FILE_SERVICE_TOKEN (only a local server at 127.0.0.1 signs you in without one)');
  return createFileServiceClient({ baseUrl, token });
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

/** A size such as 16777216, 16MiB, 8MB or 512KiB. */
function byteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a size such as 16MiB or 8388608');
  const units: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  return Math.round(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
}

/** An ISO 8601 instant, or a span from now: 30m, 12h, 7d. */
function expiry(value: string): string {
  const span = /^(\d+)\s*([mhd])$/.exec(value.trim());
  if (span) {
    const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000 }[span[2] as 'm' | 'h' | 'd'];
    return new Date(Date.now() + Number(span[1]) * unitMs).toISOString();
  }
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('must be a span such as 7d, 12h, 30m, or an ISO 8601 date-time');
  return value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const listFilters: Array<{ flag: string; query: string; description: string; parse?: (value: string) => unknown }> = [
  { flag: '--limit <n>', query: 'limit', description: 'files a page, 1 to 100 (default 25)', parse: wholeNumber },
  { flag: '--cursor <cursor>', query: 'cursor', description: 'the next page, as printed after the previous one' },
  { flag: '--sort <order>', query: 'sort', description: '-created_at (default), created_at, filename or -size_bytes' },
  { flag: '--type <type>', query: 'type', description: 'document, image, video, audio, spreadsheet, presentation, text, archive, unknown' },
  { flag: '--mime-type <type>', query: 'mime_type', description: 'e.g. application/pdf or image/*' },
  { flag: '--extension <ext>', query: 'extension', description: 'e.g. pdf' },
  { flag: '--size-min <bytes>', query: 'size_min', description: 'at least this size (16MiB, 1000, ...)', parse: byteSize },
  { flag: '--size-max <bytes>', query: 'size_max', description: 'at most this size', parse: byteSize },
  { flag: '--created-by <user>', query: 'created_by', description: 'uploaded by this user id' },
  { flag: '--created-after <date>', query: 'created_after', description: 'ISO 8601 date or date-time' },
  { flag: '--created-before <date>', query: 'created_before', description: 'ISO 8601 date or date-time' },
  { flag: '--tag <tag>', query: 'tag', description: 'has this tag' },
  { flag: '--relation <id>', query: 'relation', description: 'is attached to this entity id' },
  { flag: '--access-control <access>', query: 'access_control', description: 'private or public-read' },
  { flag: '--shared', query: 'shared', description: "other orgs' files shared with you" },
];

function camel(query: string): string {
  return query.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase());
}

function listQuery(options: Record<string, unknown>, q?: string): Record<string, string | number | boolean | undefined> {
  const query: Record<string, string | number | boolean | undefined> = q === undefined ? {} : { q };
  for (const filter of listFilters) {
    const value = options[camel(filter.query)];
    if (value !== undefined && value !== false) query[filter.query] = value as string | number | boolean;
  }
  return query;
}

function fileRows(files: FileEntity[]): string[][] {
  return files.map((file) => [file._id, readableSize(file.size_bytes), String(file.type ?? ''), String(file._created_at ?? '').slice(0, 19).replace('T', ' '), file.filename]);
}

function describeFile(file: FileEntity): string {
  const rows: Array<[string, unknown]> = [
    ['id', file._id],
    ['filename', file.filename],
    ['size', `${readableSize(file.size_bytes)} (${file.size_bytes} bytes)`],
    ['mime type', file.mime_type],
    ['type', file.type],
    ['access', file.access_control],
    ['tags', Array.isArray(file._tags) && file._tags.length ? file._tags.join(', ') : undefined],
    ['versions', file.versions.length],
    ['created', file._created_at],
    ['updated', file._updated_at],
    ['public url', file.access_control === 'public-read' ? file.public_url : undefined],
  ];
  return rows.filter(([, value]) => value !== undefined && value !== '').map(([name, value]) => `${`${name}:`.padEnd(12)}${String(value)}`).join('\n') + '\n';
}

export function buildProgram(streams: Streams, env: NodeJS.ProcessEnv, signal: AbortSignal): Command {
  const program = new Command('file-service');
  const print = (text: string) => void streams.out.write(text);
  const json = (value: unknown) => print(`${JSON.stringify(value, null, 2)}\n`);
  const client = () => clientOf(program.opts<GlobalOptions>(), env);

  program
    .description('Upload, find, download and share files of the file service.')
    .option('--url <url>', `the API (env FILE_SERVICE_URL, default ${defaultUrl})`)
    .option('--token <jwt>', 'a bearer token (env FILE_SERVICE_TOKEN; a local server signs you in without one)')
    .configureOutput({ writeOut: (text) => streams.out.write(text), writeErr: (text) => streams.err.write(text) })
    .addHelpText(
      'after',
      `
Exit codes: 0 done, 1 the service refused (the error names its status), 2 wrong usage or a
local file that cannot be read, 3 the service cannot be reached, 130 interrupted.
Unfinished big uploads are remembered in ${resumeFile(env)}: run the same upload again to resume.`,
    )
    .exitOverride()
    .showSuggestionAfterError();

  program
    .command('upload')
    .description('upload files (in resumable parts above the threshold)')
    .argument('<paths...>', 'files to upload')
    .option('--id <fileId>', 'upload a new version of this file (one path only)')
    .option('--tag <tag>', 'a tag (repeat for more)', collect)
    .option('--name <filename>', 'the filename to save (one path only)')
    .option('--mime-type <type>', 'the MIME type (default: from the bytes and the name)')
    .option('--public', 'make the file public-read')
    .addOption(new Option('--multipart-threshold <size>', 'upload in parts above this size').default(16 * 1024 * 1024, '16MiB').argParser(byteSize))
    .addOption(new Option('--concurrency <n>', 'parts in flight at once').default(4).argParser(wholeNumber))
    .option('--json', 'print the saved entities as JSON')
    .action(async (paths: string[], options: { id?: string; tag?: string[]; name?: string; mimeType?: string; public?: boolean; multipartThreshold: number; concurrency: number; json?: boolean }) => {
      if ((options.id || options.name) && paths.length > 1) throw new UsageError('--id and --name take one path');
      for (const path of paths) {
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) throw new UsageError(`cannot read ${path}: not a file`);
      }
      const files = client();
      const resumeStore = fileResumeStore(resumeFile(env));
      const saved: FileEntity[] = [];
      for (const path of paths) {
        const line = progressLine(streams.err, options.json ? basename(path) : `${basename(path)}`);
        try {
          const entity = await files.uploadFile({ path }, {
            ...(options.name ? { filename: options.name } : {}),
            ...(options.mimeType ? { mimeType: options.mimeType } : {}),
            ...(options.id ? { fileEntityId: options.id } : {}),
            fields: { ...(options.tag ? { _tags: options.tag } : {}), ...(options.public ? { access_control: 'public-read' } : {}) },
            multipartThresholdBytes: options.multipartThreshold,
            concurrency: Math.max(1, options.concurrency),
            resumeStore,
            signal,
            onProgress: ({ loaded, total }) => line.update(loaded, total),
          });
          line.done(`${basename(path)} uploaded: ${entity._id} ${readableSize(entity.size_bytes)}${options.id ? ` (version ${entity.versions.length})` : ''}`);
          saved.push(entity);
          if (!options.json) print(`${entity._id}\t${entity.filename}\n`);
        } catch (error) {
          line.stop();
          throw error;
        }
      }
      if (options.json) json(paths.length === 1 ? saved[0] : saved);
    });

  const addFilters = (command: Command) => {
    for (const filter of listFilters) {
      const option = new Option(filter.flag, filter.description);
      command.addOption(filter.parse ? option.argParser(filter.parse) : option);
    }
    return command.option('--json', 'print the answer as JSON');
  };
  const printList = (answer: ListedFiles, asJson: boolean | undefined) => {
    if (asJson) return json(answer);
    print(answer.results.length ? table(['ID', 'SIZE', 'TYPE', 'CREATED', 'FILENAME'], fileRows(answer.results)) : 'no files\n');
    if (answer.next_cursor) streams.err.write(`more: --cursor ${answer.next_cursor}\n`);
  };

  addFilters(program.command('ls').description('list files, newest first (the filters of GET /v2/files)')).action(async (options: Record<string, unknown>) => {
    printList(await client().request<ListedFiles>('GET', '/v2/files', { query: listQuery(options), signal }), options.json as boolean | undefined);
  });

  addFilters(program.command('search').description('search files by name, title and tags').argument('<query>', 'words to find')).action(
    async (q: string, options: Record<string, unknown>) => {
      printList(await client().request<ListedFiles>('GET', '/v2/files', { query: listQuery(options, q), signal }), options.json as boolean | undefined);
    },
  );

  program
    .command('get')
    .description("show a file's metadata")
    .argument('<id>', 'file id')
    .option('--json', 'print the File entity as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const file = await client().request<FileEntity>('GET', `/v2/files/${encodeURIComponent(id)}`, { signal });
      if (options.json) json(file);
      else print(describeFile(file));
    });

  program
    .command('download')
    .description('download a file (its latest version unless --version)')
    .argument('<id>', 'file id')
    .option('-o, --output <path>', 'where to write it (default: its filename here; - for stdout)')
    .addOption(new Option('--version <n>', '0 = latest, 1 = the one before, ...').default(0).argParser(wholeNumber))
    .action(async (id: string, options: { output?: string; version: number }) => {
      const files = client();
      const path = `/v1/files/${encodeURIComponent(id)}`;
      let output = options.output;
      if (!output) {
        const file = await files.request<FileEntity>('GET', `/v2/files/${encodeURIComponent(id)}`, { signal });
        output = basename(file.versions[options.version]?.filename ?? file.filename) || id;
      }
      const { download_url: url } = await files.request<components['schemas']['DownloadUrl']>('GET', `${path}/download`, { query: { version: options.version }, signal });
      const response = await fetch(url, { signal }).catch((error: unknown) => {
        throw isAbortError(error) ? error : new FileServiceError(0, `cannot reach ${new URL(url).origin}: ${(error as Error).message}`);
      });
      if (!response.ok || !response.body) throw FileServiceError.fromAnswer(response.status, await response.text());
      const total = Number(response.headers.get('content-length') ?? 0);
      const toStdout = output === '-';
      const line = progressLine(streams.err, basename(output));
      let loaded = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          loaded += chunk.length;
          if (!toStdout) line.update(loaded, total || loaded);
          callback(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), counter, toStdout ? streams.out : createWriteStream(output));
      if (!toStdout) line.done(`${output} downloaded: ${readableSize(loaded)}`);
    });

  program
    .command('versions')
    .description("list a file's versions, newest first")
    .argument('<id>', 'file id')
    .option('--json', 'print the answer as JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const files = client();
      const versions: Version[] = [];
      let cursor: string | undefined;
      do {
        const page = await files.request<components['schemas']['VersionPage']>('GET', `/v1/files/${encodeURIComponent(id)}/versions`, {
          query: { limit: 100, cursor },
          signal,
        });
        versions.push(...page.results);
        cursor = page.next_cursor;
      } while (cursor);
      if (options.json) return json(versions);
      print(table(['VERSION', 'SIZE', 'MIME TYPE', 'CREATED', 'FILENAME'], versions.map((v) => [String(v.version), readableSize(v.size_bytes), v.mime_type, v.created_at.slice(0, 19).replace('T', ' '), v.filename])));
    });

  program
    .command('share')
    .description('make a public link to a file (anyone with it downloads the latest version, no token)')
    .argument('<id>', 'file id')
    .option('--expires <when>', 'when the link stops working: 7d, 12h, 30m or an ISO 8601 date-time (default never)', expiry)
    .action(async (id: string, options: { expires?: string }) => {
      const link = await client().request<string>('POST', `/v1/files/${encodeURIComponent(id)}/public/links`, {
        body: options.expires ? { expires_at: options.expires } : {},
        signal,
      });
      print(`${link}\n`);
    });

  program
    .command('rm')
    .description('delete files')
    .argument('<ids...>', 'file ids')
    .action(async (ids: string[]) => {
      const files = client();
      for (const id of ids) {
        const deleted = await files.request<FileEntity>('DELETE', `/v2/files/${encodeURIComponent(id)}`, { signal });
        print(`deleted ${deleted._id} ${deleted.filename}\n`);
      }
    });

  return program;
}

/** Runs the command line; answers the exit code. */
export async function run(argv: string[], streams: Streams, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
  const program = buildProgram(streams, env, signal);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage; // commander printed the message
    }
    if (isAbortError(error) || signal.aborted) {
      streams.err.write('interrupted: run the same command again to resume an upload\n');
      return exitCodes.interrupted;
    }
    if (error instanceof FileServiceError) {
      streams.err.write(`error: ${error.status ? `${error.error} (HTTP ${error.status})` : error.error}\n`);
      return error.status === 0 ? exitCodes.unreachable : exitCodes.refused;
    }
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('E')) {
      streams.err.write(`error: ${(error as Error).message}\n`);
      return exitCodes.usage;
    }
    streams.err.write(`error: ${(error as Error).message ?? String(error)}\n`);
    return exitCodes.refused;
  }
}
