/** What a browser sees of a no-token route: the redirect itself, not where it leads. */
export interface Redirect {
  status: number;
  location: string | null;
  cacheControl: string | null;
  body: unknown;
  contentType: string | null;
}

/** One GET without a token (or with the given headers), not following a redirect. */
export async function openWithoutToken(url: string, headers: Record<string, string> = {}): Promise<Redirect> {
  const response = await fetch(url, { redirect: 'manual', headers });
  const text = await response.text();
  return {
    status: response.status,
    location: response.headers.get('location'),
    cacheControl: response.headers.get('cache-control'),
    body: text ? (JSON.parse(text) as unknown) : undefined,
    contentType: response.headers.get('content-type'),
  };
}

/** The bytes a redirect leads to. */
export async function bytesAt(location: string | null): Promise<string> {
  const response = await fetch(location ?? 'about:blank');
  if (response.status !== 200) throw new Error(`GET ${location}: ${response.status}`);
  return Buffer.from(await response.arrayBuffer()).toString();
}
