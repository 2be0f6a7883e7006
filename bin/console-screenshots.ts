import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { startLocalStack } from '../local/stack';
import { makePdf } from '../test/support/pdf';
import { launchChromium } from '../test/integration/support/browser';

/**
 * `npm run screenshots`: starts a throwaway local stack, uploads sample files through the
 * web console and writes its screenshots to docs/images/ for the README.
 */
const outDir = join(import.meta.dirname, '..', 'docs', 'images');
const maxBytes = 200 * 1024;

async function main(): Promise<void> {
  // Only what goes wrong: the functions' request logs would bury the list of screenshots.
  process.env.LOG_LEVEL ??= 'warn';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  await mkdir(outDir, { recursive: true });
  const stack = await startLocalStack({ localSignIn: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 820 }, deviceScaleFactor: 1 });
    // Parts of 8 MiB from 5 MiB on, so that the big sample shows a paused upload between parts.
    const config = JSON.stringify({ localSignIn: true, multipartThresholdBytes: 5 * 1024 * 1024 });
    await page.route('**/config.json', (route) => route.fulfill({ contentType: 'application/json', body: config }));
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Sign in as demo user' }).waitFor();
    await shoot(page, 'console-sign-in.png');

    await page.getByRole('button', { name: 'Sign in as demo user' }).click();
    const samples = await sampleFiles();
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files to upload' }).click();
    await (await chooser).setFiles(samples);
    for (const sample of samples) await page.getByRole('link', { name: sample.name, exact: true }).waitFor();
    await page.getByRole('img', { name: 'Thumbnail of harbour.jpg' }).waitFor();
    await page.getByRole('img', { name: 'Thumbnail of quarterly-report.pdf' }).waitFor();
    await page.getByRole('button', { name: 'Dismiss error' }).waitFor({ state: 'detached' });

    await pausedUpload(page, 'survey-dataset.bin', 20 * 1024 * 1024);
    await shoot(page, 'console-upload.png', page.getByRole('region', { name: 'Upload', exact: true }));
    await page.getByRole('button', { name: 'Resume survey-dataset.bin' }).click();
    await page.getByRole('link', { name: 'survey-dataset.bin', exact: true }).waitFor();
    await page.getByRole('img', { name: 'Thumbnail of logo.png' }).waitFor();
    await shoot(page, 'console-files.png');

    await page.getByRole('link', { name: 'harbour.jpg', exact: true }).click();
    await page.getByRole('img', { name: 'Thumbnail of harbour.jpg' }).nth(1).waitFor();
    await page.getByRole('button', { name: 'Create public link' }).click();
    await page.getByRole('textbox', { name: 'Public link 1' }).waitFor();
    await page.getByRole('heading', { name: 'harbour.jpg', level: 2 }).scrollIntoViewIfNeeded();
    await shoot(page, 'console-details.png');

    await page.getByRole('button', { name: 'Delete file' }).click();
    await page.getByRole('dialog').waitFor();
    await shoot(page, 'console-delete.png');
    await page.getByRole('button', { name: 'Cancel' }).click();
  } finally {
    await browser.close();
    await stack.stop();
  }
}

/** Starts uploading `size` random bytes and pauses once the first part is in storage. */
async function pausedUpload(page: Page, name: string, size: number): Promise<void> {
  let firstPartDone!: () => void;
  const firstPart = new Promise<void>((resolve) => (firstPartDone = resolve));
  let release!: () => void;
  const laterParts = new Promise<void>((resolve) => (release = resolve));
  await page.route(/partNumber=\d+/, async (route) => {
    const first = new URL(route.request().url()).searchParams.get('partNumber') === '1';
    if (!first) await laterParts;
    const response = await route.fetch().catch(() => undefined);
    if (response) await route.fulfill({ response }).catch(() => undefined);
    if (first) firstPartDone();
  });
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Choose files to upload' }).click();
  await (await chooser).setFiles({ name, mimeType: 'application/octet-stream', buffer: randomBytes(size) });
  await firstPart;
  await page.getByRole('button', { name: `Pause ${name}` }).click();
  await page.getByRole('button', { name: `Resume ${name}` }).waitFor();
  release();
  await page.unroute(/partNumber=\d+/);
}

async function sampleFiles(): Promise<{ name: string; mimeType: string; buffer: Buffer }[]> {
  const picture = (width: number, height: number, top: string, bottom: string) =>
    sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width * 0.7}" cy="${height * 0.35}" r="${height * 0.12}" fill="#fff3c4"/><rect y="${height * 0.72}" width="100%" height="${height * 0.28}" fill="#1f4e79"/></svg>`));
  return [
    { name: 'harbour.jpg', mimeType: 'image/jpeg', buffer: await picture(1200, 800, '#87b5e5', '#f5c58a').jpeg({ quality: 80 }).toBuffer() },
    { name: 'logo.png', mimeType: 'image/png', buffer: await picture(400, 400, '#2b6cb0', '#68d391').png().toBuffer() },
    { name: 'quarterly-report.pdf', mimeType: 'application/pdf', buffer: Buffer.from(await makePdf({ pages: 3, text: 'Quarterly report, page' })) },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Meeting notes\n- ship the console\n') },
    { name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from('id,name\n1,Ada\n2,Grace\n') },
  ];
}

async function shoot(page: Page, name: string, part?: Locator): Promise<void> {
  const path = join(outDir, name);
  await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await (part ?? page).screenshot({ path, animations: 'disabled', caret: 'hide' });
  const { size } = await stat(path);
  if (size > maxBytes) {
    // Fewer colours keep a UI screenshot sharp and small.
    const smaller = await sharp(path).png({ palette: true, colours: 128, compressionLevel: 9 }).toBuffer();
    await sharp(smaller).toFile(path);
  }
  console.log(`${path}: ${Math.round((await stat(path)).size / 1024)} KB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
