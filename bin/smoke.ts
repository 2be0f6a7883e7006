import { parseArgs } from 'node:util';
import { runChecks } from './smoke/checks';
import type { CheckResult } from './smoke/checks';

const usage = `usage: npm run smoke -- --url <api url> --token <jwt> [--other-token <jwt of another org>] [--timeout <seconds>]

Runs the whole file flow and the answers clients must expect against a running deployment
(npm start, or the ApiUrl output of cdk deploy), one line per check. Exits 1 if any check fails.
  --url           the API's base URL, e.g. https://abc123.execute-api.eu-central-1.amazonaws.com
  --token         a JWT the API accepts (with org_id and sub claims)
  --other-token   a JWT of another org, to check that it cannot see the test file
  --timeout       seconds to wait for each request (default 15)`;

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      'other-token': { type: 'string' },
      timeout: { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  if (!values.url || !/^https?:\/\/[^/]/.test(values.url)) throw new Error('--url must be the http(s) URL of the API');
  if (!values.token) throw new Error('--token is required');
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 300) throw new Error('--timeout must be a number of seconds between 0 and 300');
  return {
    url: values.url,
    token: values.token,
    ...(values['other-token'] ? { otherToken: values['other-token'] } : {}),
    timeoutMs: Math.round(timeout * 1000),
  };
}

function line(result: CheckResult): string {
  return result.reason ? `${result.outcome} ${result.name}: ${result.reason}` : `${result.outcome} ${result.name}`;
}

/** `npm run smoke`: checks a deployment end to end; prints one line per check. */
async function main(): Promise<void> {
  let parsed: ReturnType<typeof options>;
  try {
    parsed = options(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (!parsed) {
    console.log(usage);
    return;
  }
  const results = await runChecks(parsed, (result) => console.log(line(result)));
  if (results.some((result) => result.outcome === 'FAIL')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
