import type { LocalPage } from '../api';
import type { LocalAuth } from '../auth';
import { consolePages } from './console';
import { signInPage } from './sign-in';

export interface LocalPagesOptions {
  auth: LocalAuth;
  /** Serve `POST /local/token` (the one-click sign-in of `npm start`). */
  signIn: boolean;
}

/** Everything `npm start` serves beside the API (see LocalPage). */
export function localPages(options: LocalPagesOptions): LocalPage[] {
  return [...(options.signIn ? [signInPage(options.auth)] : []), ...consolePages({ localSignIn: options.signIn })];
}
