/** What the console reads from `config.json` beside its page; every field is optional. */
export interface ConsoleConfig {
  /** The API's base URL; the page's own origin when missing. */
  apiUrl: string;
  /** `npm start` serves `POST /local/token`: offer a one-click sign-in as the demo user. */
  localSignIn: boolean;
  /** Uploads above this size go in parts that can be paused and resumed (the client's default when missing). */
  multipartThresholdBytes?: number;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  let raw: Record<string, unknown> = {};
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (response.ok) raw = (await response.json()) as Record<string, unknown>;
  } catch {
    // No config.json (or not JSON): the API is on this page's origin.
  }
  const apiUrl = typeof raw.apiUrl === 'string' && raw.apiUrl !== '' ? raw.apiUrl : location.origin;
  const threshold = raw.multipartThresholdBytes;
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    localSignIn: raw.localSignIn === true,
    ...(typeof threshold === 'number' && threshold > 0 ? { multipartThresholdBytes: threshold } : {}),
  };
}
