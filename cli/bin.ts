import { run } from './main';

/*
 * `npx file-service`: the command line, built to dist/cli.js by `npm run build`.
 * Ctrl-C aborts what is in flight (an upload stays resumable); a second Ctrl-C exits at once.
 */
const controller = new AbortController();
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});
process.exitCode = await run(process.argv.slice(2), { out: process.stdout, err: process.stderr }, process.env, controller.signal);
