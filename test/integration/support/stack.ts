import { afterAll, beforeAll } from 'vitest';
import { startLocalStack } from '../../../local/stack';
import type { LocalStack, LocalStackOptions } from '../../../local/stack';
import { Api, tokensFor } from './api';
import { Storage } from './storage';

export interface StackContext {
  stack: LocalStack;
  /** The API as a user of org-a. */
  api: Api;
  storage: Storage;
}

/**
 * Starts one local stack for the test file, with a client of org-a and direct storage access.
 * Options known only once something else started (a page's origin) may come from a function.
 */
export function useLocalStack(options: LocalStackOptions | (() => Promise<LocalStackOptions>) = {}): StackContext {
  const context = {} as StackContext;
  beforeAll(async () => {
    context.stack = await startLocalStack(typeof options === 'function' ? await options() : options);
    context.api = new Api(context.stack.url, (await tokensFor(context.stack)).own);
    context.storage = new Storage(context.stack);
  });
  afterAll(async () => {
    context.storage?.close();
    await context.stack?.stop();
  });
  return context;
}
