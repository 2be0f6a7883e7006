import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

/**
 * A real Chromium for browser tests, with nothing but `npm ci`: the binary inside
 * `@sparticuz/chromium` (Linux x64 and arm64), or Debian's `chromium` when it is installed.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = await bundledChromium().catch(() => undefined) ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
  if (!executablePath) {
    throw new Error(
      'No Chromium for the browser tests: `npm ci` installs one with @sparticuz/chromium on Linux x64/arm64; elsewhere install Chromium (Debian: apt-get install -y chromium).',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

async function bundledChromium(): Promise<string> {
  const { default: sparticuz } = await import('@sparticuz/chromium');
  return sparticuz.executablePath();
}

/** Serves one HTML page and a script bundled from `entry` (TypeScript, with its npm imports) at its own origin. */
export async function servePage(entry: string): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = await build({ entryPoints: [entry], bundle: true, format: 'iife', platform: 'browser', target: 'chrome120', write: false, logLevel: 'silent' });
  const script = bundle.outputFiles[0]?.text ?? '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/app.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      return void response.end(script);
    }
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><html><head><meta charset="utf-8"><title>test page</title><script src="/app.js"></script></head><body></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
