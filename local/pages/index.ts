import type { LocalPage } from '../api';
import type { LocalAuth } from '../auth';
import { consolePages } from './console';
import { docsPages } from './docs';
import { signInPage } from './sign-in';

export interface LocalPagesOptions {
  auth: LocalAuth;
  /**
   * Serve what `npm start` adds for people: `POST /local/token` (the one-click sign-in) and the
   * web console at `/`. Off, the local API answers like API Gateway alone (`GET /` is a 404).
   */
  signIn: boolean;
}

/** Everything `npm start` serves beside the API (see LocalPage). */
export function localPages(options: LocalPagesOptions): LocalPage[] {
  return [...(options.signIn ? [signInPage(options.auth), ...consolePages({ localSignIn: true })] : []), ...docsPages({ signIn: options.signIn })];
}
