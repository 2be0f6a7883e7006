import { threadId } from 'node:worker_threads';
import type { ApiHandler } from '../../../lambdas/http/handler';

/**
 * A handler that fails the ways a Lambda function can: `/crash` kills its runtime with an
 * uncaught exception, `/throw` rejects; anything else answers which thread ran it.
 */
export const handler: ApiHandler = async (event) => {
  if (event.rawPath === '/crash') {
    setTimeout(() => {
      throw new Error('the runtime crashed');
    });
    return new Promise(() => {});
  }
  if (event.rawPath === '/throw') throw new Error('the handler failed');
  return { statusCode: 200, body: JSON.stringify({ threadId, key: process.env.AWS_ACCESS_KEY_ID }) };
};
