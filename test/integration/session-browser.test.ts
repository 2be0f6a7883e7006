import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf } from '../support/pdf';
import { uploadFile } from './support/api';
import { launchChromium, servePage } from './support/browser';
import { useLocalStack } from './support/stack';

let browser: Browser;
let page: { url: string; close(): Promise<void> } | undefined;
/**
 * The app's page, on another site than the API: `localhost` against the API's `127.0.0.1`.
 * Chromium treats both as secure contexts, so it keeps `Secure` cookies over plain http.
 */
let appUrl: string;

const context = useLocalStack(async () => {
  page = await servePage(fileURLToPath(new URL('../browser/session-page.ts', import.meta.url)));
  appUrl = page.url.replace('127.0.0.1', 'localhost');
  // Credentials are allowed for listed origins only.
  return { corsOrigins: [new URL(appUrl).origin] };
});

beforeAll(async () => {
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await page?.close();
});

interface SessionPage {
  startSession(api: string, token: string): Promise<{ status: number; cookieVisible: boolean }>;
  endSession(api: string): Promise<number>;
  showImage(src: string): Promise<number>;
  callWithCookie(api: string, method: string, path: string): Promise<number>;
}

/** Calls one of the page's functions (test/browser/session-page.ts) in the tab. */
function inPage<K extends keyof SessionPage>(tab: Page, name: K, ...args: Parameters<SessionPage[K]>): Promise<Awaited<ReturnType<SessionPage[K]>>> {
  return tab.evaluate(
    ([fn, fnArgs]) => (globalThis as unknown as Record<string, (...a: unknown[]) => unknown>)[fn]!(...fnArgs),
    [name, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<SessionPage[K]>>>;
}

describe('a browser session, from a page on another site', () => {
  it('shows thumbnails of a JPEG and of a PDF with <img> through the cookie, refuses a delete with the cookie alone, and shows them no more once the session ends', async () => {
    // Prepare
    const api = context.stack.url;
    const jpeg = await sharp({ create: { width: 320, height: 160, channels: 3, background: { r: 10, g: 160, b: 90 } } }).jpeg().toBuffer();
    const file = await uploadFile(context.api, { filename: 'photo.jpg', mimeType: 'image/jpeg', bytes: jpeg });
    const pdf = await uploadFile(context.api, { filename: 'report.pdf', mimeType: 'application/pdf', bytes: await makePdf({ pages: 3 }) });
    const thumbnail = `${api}/v1/files/${file._id}/preview?w=64`;
    const pdfThumbnail = `${api}/v1/files/${pdf._id}/preview?w=64`;
    const token = await context.stack.auth.sign({ org: 'org-a', user: 'alice' });
    const tab = await browser.newPage();
    await tab.goto(appUrl);

    // Act
    const before = await inPage(tab, 'showImage', thumbnail);
    const session = await inPage(tab, 'startSession', api, token);
    const during = await inPage(tab, 'showImage', thumbnail);
    const pdfDuring = await inPage(tab, 'showImage', pdfThumbnail);
    const deleteWithCookie = await inPage(tab, 'callWithCookie', api, 'DELETE', `/v1/files/${file._id}`);
    const ended = await inPage(tab, 'endSession', api);
    // A new document, so that only what the browser keeps across pages (the cookie, the HTTP cache) counts.
    await tab.goto(appUrl);
    const after = await inPage(tab, 'showImage', thumbnail);
    const pdfAfter = await inPage(tab, 'showImage', pdfThumbnail);

    // Assess
    expect(before, 'no cookie yet: the image is refused').toBe(0);
    expect(session).toEqual({ status: 200, cookieVisible: false });
    expect(during, 'the thumbnail loaded, 64 pixels wide').toBe(64);
    expect(pdfDuring, 'the PDF\'s first page loaded, 64 pixels wide').toBe(64);
    expect(deleteWithCookie).toBe(401);
    expect((await context.api.get(`/v2/files/${file._id}`)).status).toBe(200);
    expect(ended).toBe(200);
    expect(after, 'the session ended: the image is refused').toBe(0);
    expect(pdfAfter, 'the session ended: the PDF\'s thumbnail is refused').toBe(0);
    await tab.close();
  });

  it('starts with getSession, reads with the cookie alone, is refused a write with it, and ends with deleteSession', async () => {
    // Prepare
    const api = context.stack.url;
    const file = await uploadFile(context.api, { filename: 'photo.txt', mimeType: 'text/plain', bytes: Buffer.from('kept') });
    const token = await context.stack.auth.sign({ org: 'org-a', user: 'alice' });
    const tab = await browser.newPage();
    await tab.goto(appUrl);

    // Act
    const session = await inPage(tab, 'startSession', api, token);
    const readWithCookie = await inPage(tab, 'callWithCookie', api, 'GET', `/v1/files/${file._id}/download`);
    const deleteWithCookie = await inPage(tab, 'callWithCookie', api, 'DELETE', `/v1/files/${file._id}`);
    const ended = await inPage(tab, 'endSession', api);
    const readAfterEnd = await inPage(tab, 'callWithCookie', api, 'GET', `/v1/files/${file._id}/download`);

    // Assess
    expect(session).toEqual({ status: 200, cookieVisible: false });
    expect(readWithCookie).toBe(200);
    expect(deleteWithCookie).toBe(401);
    expect((await context.api.get(`/v2/files/${file._id}`)).status).toBe(200);
    expect(ended).toBe(200);
    expect(readAfterEnd).toBe(403);
    await tab.close();
  });
});
