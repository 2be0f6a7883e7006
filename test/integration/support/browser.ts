import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

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

/**
 * Chromium and a page bundled from `test/browser/<name>.ts`, for the whole test file: both are
 * ready in its tests and closed after them.
 */
export function useBrowserPage(name: string): { browser: Browser; page: { url: string; close(): Promise<void> } } {
  const context = {} as { browser: Browser; page: { url: string; close(): Promise<void> } };
  beforeAll(async () => {
    [context.browser, context.page] = await Promise.all([launchChromium(), servePage(fileURLToPath(new URL(`../../browser/${name}.ts`, import.meta.url)))]);
  }, 120_000);
  afterAll(async () => {
    await context.browser?.close();
    await context.page?.close();
  });
  return context;
}

/** The bytes the upload pages of test/browser generate for a file of `size` bytes (the same formula). */
export function patternBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + (i >>> 12)) & 255;
  return bytes;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
