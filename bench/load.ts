import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isLoopback } from './load/http';
import { TreeMemorySampler, unavailableMemory } from './load/memory';
import { formatReport, problemsOf, toJson } from './load/report';
import type { LoadReport } from './load/report';
import { runLoad } from './load/run';
import type { LoadResult } from './load/run';
import { startService } from './load/server';
import type { StartedService, StopOutcome } from './load/server';

const usage = `npm run load -- [options]

Runs complete three-step uploads (POST /v2/files/upload, PUT the bytes, POST /v2/files)
against the file service and reports errors, latency percentiles per step, throughput and
the server's peak memory. Exits 1 when any flow failed.

  --flows <n>          flows to run (default 1000)
  --concurrency <n>    flows in flight at once (default 64)
  --size <bytes>       bytes per file, random (default 65536)
  --verify <n>         download and byte-compare every n-th flow; 0 = never (default 10)
  --timeout <s>        stop the whole run after this long (default 600)
  --request-timeout <s>  one request taking longer is an error (default 60)
  --url <url>          target an already running service (loopback only) instead of
                       starting \`npm start\`; needs --token
  --token <jwt>        bearer token for --url
  --pid <pid>          with --url: the service's pid, to report its memory
  --json <file>        also write the results as JSON
  -h, --help           this text`;

function integer(name: string, value: string | undefined, min: number): number {
  const number = Number(value);
  if (value === undefined || !/^\d+$/.test(value.trim()) || number < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
  return number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      flows: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '64' },
      size: { type: 'string', default: '65536' },
      verify: { type: 'string', default: '10' },
      timeout: { type: 'string', default: '600' },
      'request-timeout': { type: 'string', default: '60' },
      url: { type: 'string' },
      token: { type: 'string' },
      pid: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const flows = integer('flows', values.flows, 1);
  const concurrency = integer('concurrency', values.concurrency, 1);
  const size = integer('size', values.size, 0);
  const verify = integer('verify', values.verify, 0);
  const timeoutMs = integer('timeout', values.timeout, 1) * 1000;
  const requestTimeoutMs = integer('request-timeout', values['request-timeout'], 1) * 1000;
  if (values.url && !values.token) throw new Error('--url needs --token (npm run -s token -- --org <org> --user <user>)');
  if (!values.url && (values.token || values.pid)) throw new Error('--token and --pid go with --url');
  if (values.url && !isLoopback(values.url)) throw new Error(`--url must be a loopback http:// address (127.0.0.0/8, ::1, localhost), got ${values.url}`);

  const interrupt = new AbortController();
  let service: StartedService | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) return;
    console.error(`\n${signal}: stopping the run...`);
    interrupt.abort(new Error(signal));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    let url: string;
    let token: string;
    let memoryPid: number | undefined;
    if (values.url && values.token) {
      url = values.url;
      token = values.token;
      memoryPid = values.pid !== undefined ? integer('pid', values.pid, 1) : undefined;
    } else {
      console.error('starting npm start (PORT=0, fresh LOCAL_DATA_DIR)...');
      service = await startService(join(import.meta.dirname, '..'));
      ({ url, token } = service);
      memoryPid = service.pid;
      console.error(`service at ${url} (npm pid ${service.pid}, data in ${service.dataDir})`);
      if (interrupt.signal.aborted) throw new Error('interrupted');
    }

    const sampler = memoryPid !== undefined ? new TreeMemorySampler(memoryPid).start() : undefined;
    console.error(`running ${flows} flows at concurrency ${concurrency}, ${size} B each...`);
    let lastProgress = Date.now();
    let result: LoadResult;
    try {
      result = await runLoad({
        url,
        token,
        flows,
        concurrency,
        size,
        verify,
        timeoutMs,
        requestTimeoutMs,
        signal: interrupt.signal,
        onFlow: (done, errors) => {
          if (Date.now() - lastProgress < 2000 && done < flows) return;
          lastProgress = Date.now();
          console.error(`  ${done}/${flows} flows, ${errors} errors`);
        },
      });
    } catch (error) {
      await sampler?.stop();
      throw error;
    }
    const memory = sampler ? await sampler.stop() : unavailableMemory('an existing service without --pid');
    const serverLog = service?.log();
    const storage = await service?.storage();
    let serverStop: StopOutcome | undefined;
    if (service) {
      console.error('stopping npm start (SIGTERM)...');
      serverStop = await service.stop();
    }
    const report: LoadReport = {
      result,
      target: {
        url,
        mode: service ? 'spawned npm start' : 'existing service',
        ...(memoryPid !== undefined ? { pid: memoryPid } : {}),
      },
      memory,
      ...(serverLog ? { serverLog } : {}),
      ...(storage ? { storage } : {}),
      ...(serverStop ? { serverStop } : {}),
      problems: problemsOf(result, serverStop, storage),
    };
    console.log(`\n${formatReport(report)}`);
    if (values.json) {
      await writeFile(values.json, toJson(report));
      console.error(`results written to ${values.json}`);
    }
    return report.problems.length === 0 ? 0 : 1;
  } finally {
    await service?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
