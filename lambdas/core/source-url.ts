import ipaddr from 'ipaddr.js';
import { BadRequestError, HttpError, PayloadTooLargeError } from './errors';
import { metadataLimits } from './metadata-limits';

/**
 * What the service may fetch when a save names a `source_url` (server-side request forgery
 * is the risk: the request leaves from inside the operator's network). Pure rules, no I/O:
 * the fetching adapter resolves names and connects only to addresses these rules allowed.
 *
 * - https only; plain http only to hosts the operator lists (`host` for any port, or
 *   `host:port`). A listed host is trusted: its addresses are not checked. The list names
 *   http hosts: an https URL is always checked.
 * - https may use any port: the address check, not the port, keeps requests off private
 *   networks, and public services on other ports are as public as on 443.
 * - No credentials in the URL (`user:pass@`): the service never sends secrets it was handed.
 * - Every address a name resolves to must be public unicast; one private address refuses
 *   the whole name (a resolver may hand out any of them, and DNS can change in between).
 */

/** A redirect is followed at most this many times. */
export const maxSourceRedirects = 3;
/** The longest source_url accepted (as browsers and CDNs commonly bound URLs). */
export const maxSourceUrlChars = 2048;

/** The URL, or one it redirects to, is not one the service may fetch: the client's fault, 400. */
export class SourceRefusedError extends BadRequestError {}

/**
 * The source could not deliver the file: it answered an error status, redirected too often,
 * could not be reached or resolved, or was too slow. 422: the request was well-formed, but the
 * file it names cannot be had; a 5xx would blame this service for another server's answer.
 */
export class SourceFailedError extends HttpError {
  constructor(message: string) {
    super(422, message);
  }
}

/** The source's file is larger than the service takes. */
export class SourceTooLargeError extends PayloadTooLargeError {}

/** One entry of the http allow-list: a host, and a port unless any port goes. */
export interface HttpHost {
  host: string;
  port?: string;
}

/**
 * Parses `SOURCE_URL_HTTP_HOSTS`-style entries (`host` or `host:port`, IPv6 in brackets),
 * normalised as URLs normalise hosts, so `0x7f.1` lists 127.0.0.1. Throws on a bad entry.
 */
export function parseHttpHosts(entries: readonly string[]): HttpHost[] {
  return entries.map((entry) => {
    const trimmed = entry.trim();
    let url: URL;
    try {
      url = new URL(`http://${trimmed}/`);
    } catch {
      throw new Error(`"${entry}" is not a host or host:port`);
    }
    if (!trimmed || url.username || url.password || url.pathname !== '/' || url.search || url.hash || /[/?#@]/.test(trimmed)) {
      throw new Error(`"${entry}" is not a host or host:port`);
    }
    // `host:80` normalises to an empty port, as http's default; keep it explicit.
    const explicitPort = /:(\d+)$/.exec(trimmed)?.[1];
    return { host: url.hostname, ...(explicitPort !== undefined ? { port: String(Number(explicitPort)) } : {}) };
  });
}

/** A URL the service may request, and whether its host is a trusted (allow-listed) http host. */
export interface SourceTarget {
  url: URL;
  trusted: boolean;
}

/** Checks a source URL (or a redirect's target) before anything is resolved or requested. */
export function checkSourceUrl(raw: string, httpHosts: readonly HttpHost[]): SourceTarget {
  if (raw.length > maxSourceUrlChars) throw new SourceRefusedError(`source_url must be at most ${maxSourceUrlChars} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SourceRefusedError(`source_url must be an absolute https URL, got "${shorten(raw)}"`);
  }
  if (url.username || url.password) {
    throw new SourceRefusedError('source_url must not carry credentials (user:password@): the service fetches public URLs only');
  }
  if (url.protocol === 'http:') {
    const port = url.port || '80';
    if (httpHosts.some((entry) => entry.host === url.hostname && (entry.port === undefined || entry.port === port))) {
      return { url, trusted: true };
    }
    throw new SourceRefusedError(`source_url ${describe(url)} is plain http, which only the hosts the operator allows may use; use https`);
  }
  if (url.protocol !== 'https:') {
    throw new SourceRefusedError(`source_url must be an https URL, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (!url.hostname) throw new SourceRefusedError('source_url has no host');
  return { url, trusted: false };
}

/** The literal IP address a URL's host is, without IPv6 brackets; undefined for a name. */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.replace(/^\[(.*)\]$/, '$1');
  return ipaddr.isValid(bare) && (bare.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(bare)) ? bare : undefined;
}

/**
 * Why the service must not connect to this address, or undefined when it is public unicast.
 * IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged
 * by the IPv4 address they reach.
 */
export function addressRefusal(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return ipv4Refusal(parsed as ipaddr.IPv4);
  return ipv6Refusal(parsed as ipaddr.IPv6);
}

const ipv4Reasons: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a shared (CGNAT) address',
  private: 'a private address',
  reserved: 'a reserved, documentation or benchmarking address',
  as112: 'a reserved (AS112) address',
  amt: 'a reserved (AMT) address',
};

const metadataAddresses = new Set(['169.254.169.254', 'fd00:ec2::254']);

function ipv4Refusal(address: ipaddr.IPv4): string | undefined {
  if (metadataAddresses.has(address.toString())) return 'the cloud metadata service';
  const range = address.range();
  if (range === 'unicast') return undefined;
  return ipv4Reasons[range] ?? `a special-purpose address (${range})`;
}

const ipv6Reasons: Record<string, string> = {
  unspecified: 'an unspecified address',
  linkLocal: 'a link-local address',
  multicast: 'a multicast address',
  loopback: 'a loopback address',
  uniqueLocal: 'a private (unique local) address',
  deprecatedSiteLocal: 'a private (site-local) address',
  reserved: 'a reserved or documentation address',
  benchmarking: 'a benchmarking address',
  discard: 'a discard-only address',
};

function ipv6Refusal(address: ipaddr.IPv6): string | undefined {
  if (metadataAddresses.has(address.toString())) return 'the cloud metadata service';
  const parts = address.parts;
  const v4 = (high: number, low: number) => ipaddr.fromByteArray([high >> 8, high & 0xff, low >> 8, low & 0xff]) as ipaddr.IPv4;
  const embedded = (inner: ipaddr.IPv4): string | undefined => {
    const refusal = ipv4Refusal(inner);
    return refusal ? `${refusal} (${inner.toString()} inside an IPv6 address)` : undefined;
  };
  const range = address.range();
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return embedded(v4(parts[6] ?? 0, parts[7] ?? 0));
    case 'rfc6052':
      // 64:ff9b::/96 reaches the IPv4 address in its last 32 bits; 64:ff9b:1::/48 is for local use.
      return parts[2] === 0 ? embedded(v4(parts[6] ?? 0, parts[7] ?? 0)) : 'a local-use NAT64 address';
    case '6to4':
      return embedded(v4(parts[1] ?? 0, parts[2] ?? 0));
    case 'teredo':
      // The Teredo server's address, and the client's (stored inverted).
      return embedded(v4(parts[2] ?? 0, parts[3] ?? 0)) ?? embedded(v4(~(parts[6] ?? 0) & 0xffff, ~(parts[7] ?? 0) & 0xffff));
    case 'unicast':
      if (parts.slice(0, 6).every((part) => part === 0)) {
        // IPv4-compatible (::a.b.c.d, deprecated): it reaches the IPv4 address.
        return embedded(v4(parts[6] ?? 0, parts[7] ?? 0));
      }
      // Only 2000::/3 is allocated for global unicast; the rest is reserved.
      return ((parts[0] ?? 0) & 0xe000) === 0x2000 ? undefined : 'a reserved address';
    default:
      return ipv6Reasons[range] ?? `a special-purpose address (${range})`;
  }
}

/** Resolves a name to every address it has (as `dns.lookup` with `all: true`). */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/**
 * The address to connect to for an untrusted host: the literal address itself, or the first
 * address of the name when every address of it is public. Refuses (400) when any is not.
 */
export async function vetHost(url: URL, resolve: Resolver): Promise<{ address: string; family: 4 | 6 }> {
  const literal = literalAddress(url.hostname);
  if (literal !== undefined) {
    const refusal = addressRefusal(literal);
    if (refusal) throw new SourceRefusedError(`source_url ${describe(url)} is ${refusal}: the service fetches public addresses only`);
    return { address: literal, family: literal.includes(':') ? 6 : 4 };
  }
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await resolve(url.hostname);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    const code = (error as { code?: string }).code;
    throw new SourceFailedError(`source_url's host ${url.hostname} could not be resolved${code ? ` (${code})` : ''}`);
  }
  if (addresses.length === 0) throw new SourceFailedError(`source_url's host ${url.hostname} has no address`);
  for (const { address } of addresses) {
    const refusal = addressRefusal(address);
    if (refusal) {
      throw new SourceRefusedError(
        `source_url ${describe(url)} resolves to ${address}, ${refusal}: the service fetches public addresses only`,
      );
    }
  }
  const [first] = addresses;
  return { address: first?.address ?? '', family: first?.family === 6 ? 6 : 4 };
}

/**
 * The name a fetched file gets when the save gives none: the source's Content-Disposition
 * filename (a server that names its file knows it better than a URL such as `/download?id=3`),
 * else the last segment of the final URL's path (decoded when it decodes), else `file`.
 */
export function sourceFilename(finalUrl: URL, contentDisposition?: string): string {
  const named = contentDisposition ? dispositionFilename(contentDisposition) : undefined;
  const segment = finalUrl.pathname.split('/').at(-1) ?? '';
  return usableName(named) ?? usableName(decodeSegment(segment) ?? segment) ?? 'file';
}

/** The type the source declared, without parameters, when it is a well-formed MIME type. */
export function sourceMimeType(contentType: string | undefined): string | undefined {
  const essence = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[\w.+-]+\/[\w.+-]+$/.test(essence) && essence.length <= 255 ? essence : undefined;
}

function dispositionFilename(header: string): string | undefined {
  const extended = /filename\*\s*=\s*([\w!#$&+.^`|~-]+)'[^']*'([^;\s]+)/i.exec(header);
  if (extended?.[1] && extended[2] && /^utf-8$/i.test(extended[1])) {
    const decoded = decodeSegment(extended[2]);
    if (decoded !== undefined) return decoded;
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1');
  return /filename\s*=\s*([^;\s"]+)/i.exec(header)?.[1];
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A name a save would take: visible characters only, within the filename limit. */
function usableName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const cleaned = Array.from(
    name
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .replace(/[\ud800-\udfff]/gu, '')
      .trim(),
  )
    .slice(0, metadataLimits.filenameChars)
    .join('');
  return cleaned.trim().length > 0 ? cleaned.trim() : undefined;
}

function describe(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

function shorten(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
