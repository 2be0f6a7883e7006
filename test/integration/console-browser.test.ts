import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, uploadFile, type Entity } from './support/api';
import { buildConsole } from '../../console/build';
import { launchChromium } from './support/browser';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ localSignIn: true });
let browser: Browser;
/** The demo user's org, whom the console's one-click sign-in makes you. */
let demo: Api;

beforeAll(async () => {
  browser = await launchChromium();
  demo = new Api(context.stack.url, await context.stack.auth.sign({ org: 'demo-org', user: 'demo-user' }));
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** A fresh tab of the console served by the stack, signed in with the one-click button. */
async function signedIn(options: { config?: Record<string, unknown>; bypassCSP?: boolean } = {}): Promise<{ page: Page; tab: BrowserContext }> {
  const tab = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...(options.bypassCSP ? { bypassCSP: true } : {}) });
  const page = await tab.newPage();
  if (options.config) {
    const config = JSON.stringify({ localSignIn: true, ...options.config });
    await page.route('**/config.json', (route) => route.fulfill({ contentType: 'application/json', body: config }));
  }
  await page.goto(context.stack.url);
  await page.getByRole('button', { name: 'Sign in as demo user' }).click();
  await page.getByRole('heading', { name: 'Files' }).waitFor();
  return { page, tab };
}

/** A name no other test uses, so that searches find one test's files only. */
function unique(name: string): string {
  return `${randomUUID().slice(0, 8)}-${name}`;
}

async function uploadAsDemo(filename: string, mimeType: string, bytes: Uint8Array): Promise<Entity> {
  return uploadFile(demo, { filename, mimeType, bytes });
}

async function openFile(page: Page, filename: string): Promise<void> {
  await page.getByRole('searchbox', { name: 'Search' }).fill(filename);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('link', { name: filename, exact: true }).click();
  await page.getByRole('heading', { name: filename, level: 2 }).waitFor();
}

/**
 * What these tests touch of the DOM in the page, typed here: the test program has no DOM lib.
 * Callbacks run in the page, so they reach it through `globalThis`.
 */
interface PageGlobals {
  DataTransfer: new () => { items: { add(file: File): void } };
  document: { activeElement: unknown };
  navigator: { clipboard: { readText(): Promise<string> } };
  sessionStorage: { length: number };
  getComputedStyle(element: unknown): { outlineStyle: string };
}
interface ProgressBar {
  value: number;
  max: number;
}

function jpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 30, g: 120, b: 200 } } }).jpeg().toBuffer();
}

describe('the web console, served by the local stack at /', () => {
  it('signs in with one click, uploads two files dropped on the drop zone and one chosen with the picker, and lists them with their bytes whole', async () => {
    // Prepare
    const tab = await browser.newContext();
    const page = await tab.newPage();
    await page.goto(context.stack.url);
    const dropped = [unique('first.txt'), unique('second.txt')];
    const picked = unique('picked.txt');

    // Act
    await page.getByRole('button', { name: 'Sign in as demo user' }).click();
    const dataTransfer = await page.evaluateHandle((names) => {
      const transfer = new (globalThis as unknown as PageGlobals).DataTransfer();
      for (const name of names) transfer.items.add(new File([`bytes of ${name}`], name, { type: 'text/plain' }));
      return transfer;
    }, dropped);
    await page.getByRole('region', { name: 'Drop files here to upload' }).dispatchEvent('drop', { dataTransfer });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files to upload' }).click();
    await (await chooser).setFiles({ name: picked, mimeType: 'text/plain', buffer: Buffer.from(`bytes of ${picked}`) });
    for (const name of [...dropped, picked]) await page.getByRole('link', { name, exact: true }).waitFor();

    // Assess
    const listed = await demo.get<{ results: Entity[] }>('/v2/files?limit=100');
    for (const name of [...dropped, picked]) {
      const file = listed.body.results.find((candidate) => candidate.filename === name);
      expect(file, `${name} was saved`).toBeDefined();
      expect((await downloadBytes(demo, file!._id)).toString()).toBe(`bytes of ${name}`);
      const bar = page.getByRole('progressbar', { name: `Upload progress of ${name}` });
      await expect.poll(() => bar.evaluate((element) => (element as unknown as ProgressBar).value / (element as unknown as ProgressBar).max)).toBe(1);
    }
    expect(await page.getByRole('status').textContent()).toMatch(/Uploaded|files? on page/);
    await tab.close();
  }, 60_000);

  it('pauses a multipart upload between parts and resumes it without sending the finished part again, and the saved file has every byte', async () => {
    // Prepare
    const { page, tab } = await signedIn({ config: { multipartThresholdBytes: 5 * 1024 * 1024 } });
    const name = unique('big.bin');
    const bytes = randomBytes(17 * 1024 * 1024);
    const sent: number[] = [];
    let releaseLaterParts!: () => void;
    const laterParts = new Promise<void>((resolve) => (releaseLaterParts = resolve));
    // Parts after the first wait until the test has paused, so that the pause lands between parts.
    await page.route(/partNumber=\d+/, async (route: Route) => {
      const part = Number(new URL(route.request().url()).searchParams.get('partNumber'));
      if (part > 1) await laterParts;
      sent.push(part);
      await route.continue().catch(() => undefined);
    });
    const firstPartStored = page.waitForResponse((response) => /[?&]partNumber=1(&|$)/.test(response.url()) && response.status() === 200, { timeout: 20_000 });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files to upload' }).click();
    await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
    await firstPartStored;
    const progress = page.getByRole('progressbar', { name: `Upload progress of ${name}` });
    await expect.poll(() => progress.evaluate((bar) => (bar as unknown as ProgressBar).value), { timeout: 20_000 }).toBeGreaterThan(0);

    // Act
    await page.getByRole('button', { name: `Pause ${name}` }).click();
    await page.getByRole('button', { name: `Resume ${name}` }).waitFor();
    const pausedAt = await progress.evaluate((bar) => (bar as unknown as ProgressBar).value);
    const sentBeforeResume = sent.length;
    releaseLaterParts();
    await page.getByRole('button', { name: `Resume ${name}` }).click();
    await page.getByRole('link', { name, exact: true }).waitFor({ timeout: 30_000 });

    // Assess
    expect(pausedAt, 'the paused upload keeps the first part counted').toBeGreaterThan(0);
    expect(pausedAt, 'the later parts were not sent before the pause').toBeLessThan(bytes.length);
    expect(sentBeforeResume).toBeGreaterThan(0);
    expect(sent.filter((part) => part === 1), 'the part storage held was not sent again').toHaveLength(1);
    const listed = await demo.get<{ results: Entity[] }>(`/v2/files?q=${encodeURIComponent(name)}`);
    expect(listed.body.results).toHaveLength(1);
    expect((await downloadBytes(demo, listed.body.results[0]!._id)).equals(bytes)).toBe(true);
    await tab.close();
  }, 90_000);

  it('cancels a multipart upload: storage drops its parts and nothing is left to resume', async () => {
    // Prepare
    const { page, tab } = await signedIn({ config: { multipartThresholdBytes: 5 * 1024 * 1024 } });
    const name = unique('abandoned.bin');
    const started = page.waitForResponse((response) => response.url().includes('/v2/files/upload') && response.request().method() === 'POST');
    const firstPart = page.waitForRequest(/partNumber=1\b/);
    // No part reaches storage until the test lets it: the upload is under way, and unfinished.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/partNumber=\d+/, async (route: Route) => {
      await held;
      await route.continue().catch(() => undefined);
    });
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files to upload' }).click();
    await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer: randomBytes(9 * 1024 * 1024) });
    const { upload_id: uploadId } = (await (await started).json()) as { upload_id: string };
    await firstPart;

    // Act
    await page.getByRole('button', { name: `Cancel ${name}` }).click();
    release();
    await page.getByText('Cancelled', { exact: true }).waitFor();

    // Assess
    await expect.poll(async () => (await demo.get(`/v1/files/upload/${uploadId}/parts`)).status).toBe(404);
    const remembered = await page.evaluate(() => JSON.stringify((globalThis as unknown as { localStorage: object }).localStorage));
    expect(remembered).not.toContain(uploadId);
    expect((await demo.get<{ results: unknown[] }>(`/v2/files?q=${encodeURIComponent(name)}`)).body.results).toEqual([]);
    await tab.close();
  }, 60_000);

  it('narrows the list with a search, a size filter and a type filter, and shows an image thumbnail that loads', async () => {
    // Prepare
    const prefix = randomUUID().slice(0, 8);
    await uploadAsDemo(`${prefix}-photo.jpg`, 'image/jpeg', await jpeg(300, 200));
    await uploadAsDemo(`${prefix}-notes.txt`, 'text/plain', Buffer.from('notes'));
    await uploadAsDemo(unique('elsewhere.txt'), 'text/plain', Buffer.from('other'));
    const { page, tab } = await signedIn();
    const links = page.getByRole('table').getByRole('link');

    // Act
    await page.getByRole('searchbox', { name: 'Search' }).fill(prefix);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => links.allTextContents()).toEqual([`${prefix}-notes.txt`, `${prefix}-photo.jpg`]);
    await page.getByText('More filters').click();
    await page.getByRole('spinbutton', { name: 'Min size (KB)' }).fill('0.1');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => links.allTextContents()).toEqual([`${prefix}-photo.jpg`]);
    await page.getByRole('spinbutton', { name: 'Min size (KB)' }).fill('');
    await page.getByRole('combobox', { name: 'Type' }).selectOption('image');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => links.allTextContents()).toEqual([`${prefix}-photo.jpg`]);
    const thumbnail = page.getByRole('img', { name: `Thumbnail of ${prefix}-photo.jpg` });
    await thumbnail.waitFor();

    // Assess
    expect(await thumbnail.evaluate((image) => (image as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(await thumbnail.getAttribute('src')).toMatch(/^blob:/);
    await tab.close();
  }, 60_000);

  it('lists a file another org shared with the demo org under Shared with me, and opens it to view and download only', async () => {
    // Prepare
    const name = unique('partner-terms.txt');
    const partner = new Api(context.stack.url, await context.stack.auth.sign({ org: 'partner-org', user: 'pat' }));
    await uploadFile(partner, { filename: name, mimeType: 'text/plain', bytes: Buffer.from('terms'), extra: { _acl: { view: ['org:demo-org'] } } });
    const { page, tab } = await signedIn();
    const links = page.getByRole('table').getByRole('link');

    // Act
    await page.getByRole('searchbox', { name: 'Search' }).fill(name);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No file matches these filters.').waitFor();
    await page.getByText('More filters').click();
    await page.getByRole('checkbox', { name: 'Shared with me by other orgs' }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => links.allTextContents()).toEqual([name]);
    await links.first().click();
    await page.getByRole('heading', { name, level: 2 }).waitFor();

    // Assess
    expect(await page.getByRole('button', { name: 'Download', exact: true }).isVisible()).toBe(true);
    expect(await page.getByText('Shared with you by the org partner-org').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Delete file' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Create public link' }).count()).toBe(0);
    await tab.close();
  }, 60_000);

  it('shows a version added through the console, and downloads the latest and the older version with their bytes', async () => {
    // Prepare
    const name = unique('contract.txt');
    await uploadAsDemo(name, 'text/plain', Buffer.from('first draft'));
    const { page, tab } = await signedIn();
    await openFile(page, name);

    // Act
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload a new version' }).click();
    await (await chooser).setFiles({ name, mimeType: 'text/plain', buffer: Buffer.from('signed copy') });
    await page.getByRole('heading', { name: 'Versions (2)' }).waitFor();
    const latest = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download', exact: true }).click();
    const latestBytes = await readFile((await (await latest).path())!);
    const older = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download version 1' }).click();
    const olderBytes = await readFile((await (await older).path())!);

    // Assess
    expect(await page.getByRole('button', { name: /^Download version/ }).count()).toBe(2);
    expect(latestBytes.toString()).toBe('signed copy');
    expect(olderBytes.toString()).toBe('first draft');
    await tab.close();
  }, 60_000);

  it('creates a public link that downloads without a token, copies it, and revokes it so that it stops working', async () => {
    // Prepare
    const name = unique('brochure.txt');
    await uploadAsDemo(name, 'text/plain', Buffer.from('for everyone'));
    const { page, tab } = await signedIn();
    await tab.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: context.stack.url });
    await openFile(page, name);

    // Act
    await page.getByRole('button', { name: 'Create public link' }).click();
    const link = await page.getByRole('textbox', { name: 'Public link 1' }).inputValue();
    const before = await fetch(link);
    const beforeBytes = await before.text();
    await page.getByRole('button', { name: 'Copy public link 1' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Link copied to the clipboard');
    const copied = await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText());
    await page.getByRole('button', { name: 'Revoke public link 1' }).click();
    await page.getByText('No public links.').waitFor();
    const after = await fetch(link);

    // Assess
    expect(before.status).toBe(200);
    expect(beforeBytes).toBe('for everyone');
    expect(copied).toBe(link);
    expect(after.status).toBe(404);
    await tab.close();
  }, 60_000);

  it('makes a file public, whose public URL then downloads without a token, and private again, which closes it', async () => {
    // Prepare
    const name = unique('price-list.txt');
    await uploadAsDemo(name, 'text/plain', Buffer.from('prices'));
    const { page, tab } = await signedIn();
    await openFile(page, name);

    // Act
    await page.getByRole('button', { name: 'Make public' }).click();
    const publicUrl = await page.getByRole('textbox', { name: 'Public URL' }).inputValue();
    const whilePublic = await fetch(publicUrl);
    const bytes = await whilePublic.text();
    await page.getByRole('button', { name: 'Make private' }).click();
    await page.getByRole('button', { name: 'Make public' }).waitFor();
    const afterwards = await fetch(publicUrl, { redirect: 'manual' });

    // Assess
    expect(whilePublic.status).toBe(200);
    expect(bytes).toBe('prices');
    expect(afterwards.status).toBe(403);
    await tab.close();
  }, 60_000);

  it('deletes a file only once the dialog is confirmed: cancelling keeps it', async () => {
    // Prepare
    const name = unique('old.txt');
    const file = await uploadAsDemo(name, 'text/plain', Buffer.from('old'));
    const { page, tab } = await signedIn();
    await openFile(page, name);

    // Act
    await page.getByRole('button', { name: 'Delete file' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete ${name}?` });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    const afterCancel = (await demo.get(`/v2/files/${file._id}`)).status;
    await page.getByRole('button', { name: 'Delete file' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('link', { name, exact: true }).waitFor({ state: 'detached' });

    // Assess
    expect(afterCancel).toBe(200);
    expect((await demo.get(`/v2/files/${file._id}`)).status).toBe(404);
    expect(await page.getByRole('status').textContent()).toMatch(/Deleted|on page/);
    await tab.close();
  }, 60_000);

  it('shows the API\'s error when a pasted token is refused', async () => {
    // Prepare
    const tab = await browser.newContext();
    const page = await tab.newPage();
    await page.goto(context.stack.url);

    // Act
    await page.getByRole('textbox', { name: 'Access token (JWT)' }).fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    // Assess
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^Could not list files: 401 .*sign in again/i);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in as demo user' }).waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(0);
    await tab.close();
  }, 60_000);

  it('can be used with the keyboard alone: search, open a file and create a public link, with a visible focus', async () => {
    // Prepare
    const name = unique('keyboard.txt');
    const file = await uploadAsDemo(name, 'text/plain', Buffer.from('typed'));
    const { page, tab } = await signedIn();
    /** Presses Tab until `target` has the focus; the focused element must show an outline. */
    const tabTo = async (target: ReturnType<Page['getByRole']>) => {
      for (let presses = 0; presses < 60; presses += 1) {
        if (await target.evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement).catch(() => false)) {
          return target.evaluate((element) => (globalThis as unknown as PageGlobals).getComputedStyle(element).outlineStyle);
        }
        await page.keyboard.press('Tab');
      }
      throw new Error('Tab never reached the element');
    };

    // Act
    const searchOutline = await tabTo(page.getByRole('searchbox', { name: 'Search' }));
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name, exact: true }).waitFor();
    const linkOutline = await tabTo(page.getByRole('link', { name, exact: true }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name, level: 2 }).waitFor();
    const createOutline = await tabTo(page.getByRole('button', { name: 'Create public link' }));
    await page.keyboard.press('Enter');
    await page.getByRole('textbox', { name: 'Public link 1' }).waitFor();

    // Assess
    expect([searchOutline, linkOutline, createOutline]).toEqual(['solid', 'solid', 'solid']);
    const links = await demo.get<{ results: unknown[] }>(`/v1/files/${file._id}/public/links`);
    expect(links.body.results).toHaveLength(1);
    await tab.close();
  }, 60_000);

  it('has no serious or critical accessibility violations (axe-core) signed out, in the list, in a file\'s details and in the delete dialog', async () => {
    // Prepare
    const axe = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
    const name = unique('axe.jpg');
    await uploadAsDemo(name, 'image/jpeg', await jpeg(200, 200));
    const tab = await browser.newContext({ bypassCSP: true });
    const page = await tab.newPage();
    const audit = async (where: string) => {
      await page.addScriptTag({ path: axe });
      const result = await page.evaluate(async () => {
        const run = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe.run;
        return (await run()).violations;
      });
      return result.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${where}: ${violation.id} at ${JSON.stringify(violation.nodes.map((node) => node.target))}`);
    };

    // Act
    await page.goto(context.stack.url);
    await page.getByRole('button', { name: 'Sign in as demo user' }).waitFor();
    const signedOut = await audit('sign-in');
    await page.getByRole('button', { name: 'Sign in as demo user' }).click();
    await page.getByRole('link', { name, exact: true }).waitFor();
    const list = await audit('list');
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name, level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Create public link' }).click();
    await page.getByRole('textbox', { name: 'Public link 1' }).waitFor();
    const details = await audit('details');
    await page.getByRole('button', { name: 'Delete file' }).click();
    await page.getByRole('dialog').waitFor();
    const dialog = await audit('dialog');

    // Assess
    expect([...signedOut, ...list, ...details, ...dialog]).toEqual([]);
    await tab.close();
  }, 90_000);
});

describe('a local stack without the local sign-in', () => {
  const plain = useLocalStack();

  it('serves no console at /, as the API on AWS has no such route', async () => {
    // Act
    const root = await fetch(`${plain.stack.url}/`);
    const config = await fetch(`${plain.stack.url}/config.json`);

    // Assess
    expect(root.status).toBe(404);
    expect(await root.json()).toEqual({ message: 'Not Found' });
    expect(config.status).toBe(404);
  });
});

/** The static build served on its own origin with a config.json naming the API, as CloudFront serves it. */
async function serveBuild(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const file = join(dir, path === '/' ? 'index.html' : path);
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    // Another site than the API's 127.0.0.1, as a CloudFront domain is.
    origin: `http://localhost:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the built console on its own origin, as deployed', () => {
  let site: { origin: string; close(): Promise<void> } | undefined;
  let dir = '';
  const crossOrigin = useLocalStack(async () => {
    dir = await mkdtemp(join(tmpdir(), 'console-'));
    await buildConsole(dir);
    site = await serveBuild(dir);
    return { corsOrigins: [site.origin] };
  });

  afterAll(async () => {
    await site?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('signs in with a pasted token, uploads through the API and S3 of another origin, and shows the thumbnail', async () => {
    // Prepare
    await writeFile(join(dir, 'config.json'), JSON.stringify({ apiUrl: crossOrigin.stack.url }));
    const token = await crossOrigin.stack.auth.sign({ org: 'org-a', user: 'alice' });
    const tab = await browser.newContext();
    const page = await tab.newPage();
    const name = unique('poster.jpg');

    // Act
    await page.goto(`${site!.origin}/`);
    const demoButtons = await page.getByRole('button', { name: 'Sign in as demo user' }).count();
    await page.getByRole('textbox', { name: 'Access token (JWT)' }).fill(token);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files to upload' }).click();
    await (await chooser).setFiles({ name, mimeType: 'image/jpeg', buffer: await jpeg(120, 80) });
    const thumbnail = page.getByRole('img', { name: `Thumbnail of ${name}` });
    await thumbnail.waitFor();

    // Assess
    expect(demoButtons, 'no one-click sign-in without POST /local/token').toBe(0);
    expect(await thumbnail.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    const listed = await crossOrigin.api.get<{ results: Entity[] }>(`/v2/files?q=${encodeURIComponent(name)}`);
    expect(listed.body.results.map((file) => file.filename)).toEqual([name]);
    await tab.close();
  }, 60_000);
});
