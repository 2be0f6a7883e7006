import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser';
import { useLocalStack } from './support/stack';

/**
 * `/docs` in a real Chromium: the reference renders every operation from `/openapi.json`
 * with nothing but the local stack (no request leaves it), and "Try it out" calls the API
 * as the local demo user.
 */

const context = useLocalStack({ localSignIn: true });
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** A tab that refuses, and records, every request to another origin than the local API's. */
async function offlineTab(): Promise<{ tab: Page; elsewhere: string[] }> {
  const tab = await browser.newPage();
  const origin = new URL(context.stack.url).origin;
  const elsewhere: string[] = [];
  await tab.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  return { tab, elsewhere };
}

describe('/docs', () => {
  it('renders every operation of the document from the local stack alone, saveFileV2 among them', async () => {
    // Prepare
    const { tab, elsewhere } = await offlineTab();

    // Act
    const answer = await tab.goto(`${context.stack.url}/docs`);
    await tab.getByText('saveFileV2', { exact: true }).first().waitFor({ timeout: 30_000 });
    const shown = await tab.locator('.opblock-summary-operation-id').allTextContents();
    const title = await tab.locator('.info .title').first().textContent();

    // Assess
    expect(answer?.status()).toBe(200);
    expect(title).toContain('File API');
    const document = (await (await fetch(`${context.stack.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const operationIds = Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId));
    expect([...shown].sort()).toEqual([...operationIds].sort());
    expect(elsewhere).toEqual([]);
    await tab.close();
  });

  it('tries listFiles out as the local demo user, with the token of the local sign-in', async () => {
    // Prepare
    const { tab, elsewhere } = await offlineTab();
    await tab.goto(`${context.stack.url}/docs#/Files/listFiles`);
    const operation = tab.locator('#operations-Files-listFiles');
    await operation.waitFor({ timeout: 30_000 });

    // Act
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const called = tab.waitForResponse((response) => new URL(response.url()).pathname === '/v2/files');
    await operation.getByRole('button', { name: 'Execute' }).click();
    const response = await called;

    // Assess
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    await expect(operation.locator('.live-responses-table tbody .response-col_status').first().textContent()).resolves.toContain('200');
    expect(elsewhere).toEqual([]);
    await tab.close();
  });
});
