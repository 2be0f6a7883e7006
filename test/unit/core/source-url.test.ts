import { describe, expect, it } from 'vitest';
import {
  addressRefusal,
  checkSourceUrl,
  parseHttpHosts,
  SourceFailedError,
  SourceRefusedError,
  sourceFilename,
  sourceMimeType,
  vetHost,
} from '../../../lambdas/core/source-url';
import type { Resolver } from '../../../lambdas/core/source-url';

/** A resolver that answers from a table, as DNS would, and fails for names it does not know. */
function resolverOf(table: Record<string, string[]>): Resolver {
  return async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

describe('addressRefusal', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['10.1.2.3', /private/],
    ['172.31.255.255', /private/],
    ['192.168.0.1', /private/],
    ['169.254.169.254', /metadata/],
    ['169.254.1.1', /link-local/],
    ['100.64.0.1', /CGNAT/],
    ['100.127.255.255', /CGNAT/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['224.0.0.251', /multicast/],
    ['192.0.0.8', /reserved/],
    ['192.0.2.1', /documentation/],
    ['198.18.0.1', /benchmarking/],
    ['198.51.100.7', /documentation/],
    ['203.0.113.9', /documentation/],
    ['240.0.0.1', /reserved/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['fd00:ec2::254', /metadata/],
    ['fc00::1', /unique local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['2001:db8::1', /documentation/],
    ['4000::1', /reserved/],
    ['::ffff:127.0.0.1', /loopback .*127\.0\.0\.1 inside/],
    ['::ffff:7f00:1', /loopback/],
    ['::ffff:169.254.169.254', /metadata/],
    ['::ffff:0:a00:1', /private/],
    ['::7f00:1', /loopback/],
    ['64:ff9b::10.0.0.1', /private/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:c0a8:101::1', /private .*192\.168\.1\.1/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /documentation .*192\.0\.2\.45/],
    ['2001:0:a00:1::', /private .*10\.0\.0\.1/],
  ])('refuses %s', (address, reason) => {
    expect(addressRefusal(address)).toMatch(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '100.128.0.1',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2001:0:808:808::f7f7:f7f7',
  ])('allows the public address %s', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });
});

describe('checkSourceUrl', () => {
  const hosts = parseHttpHosts(['files.internal', 'cdn.internal:8080', '0x7f.1:9000']);

  it.each([
    ['https://example.com/a.pdf', false],
    ['https://example.com:8443/a.pdf', false],
    ['http://files.internal/a.pdf', true],
    ['http://files.internal:81/a.pdf', true],
    ['http://cdn.internal:8080/a.pdf', true],
    ['http://127.0.0.1:9000/a.pdf', true],
    ['http://0177.0.0.1:9000/a.pdf', true],
  ])('allows %s (trusted: %s)', (url, trusted) => {
    expect(checkSourceUrl(url, hosts).trusted).toBe(trusted);
  });

  it.each([
    ['http://example.com/a.pdf', /plain http/],
    ['http://cdn.internal/a.pdf', /plain http/],
    ['http://cdn.internal:8081/a.pdf', /plain http/],
    ['http://127.0.0.1/a.pdf', /plain http/],
    ['https://user@example.com/', /credentials/],
    ['https://:secret@example.com/', /credentials/],
    ['ftp://example.com/a', /not ftp/],
    ['gopher://127.0.0.1:6379/_INFO', /not gopher/],
    ['data:text/plain,hello', /not data/],
    ['javascript:alert(1)', /not javascript/],
    ['//example.com/a', /absolute https URL/],
    ['/etc/passwd', /absolute https URL/],
    ['https://', /absolute https URL/],
  ])('refuses %s with 400', (url, reason) => {
    const check = () => checkSourceUrl(url, hosts);
    expect(check).toThrow(SourceRefusedError);
    expect(check).toThrow(reason);
  });

  it('trusts an allow-listed host over plain http only: its https URLs are checked like any other', () => {
    expect(checkSourceUrl('https://files.internal/a.pdf', hosts).trusted).toBe(false);
  });
});

describe('parseHttpHosts', () => {
  it('reads host and host:port entries, normalised as URLs normalise them', () => {
    expect(parseHttpHosts(['Files.Internal', 'cdn:8080', '[::1]:80', '2130706433'])).toEqual([
      { host: 'files.internal' },
      { host: 'cdn', port: '8080' },
      { host: '[::1]', port: '80' },
      { host: '127.0.0.1' },
    ]);
  });

  it.each(['http://files.internal', 'files.internal/path', 'user@files.internal', 'files internal', 'host:99999'])('refuses "%s"', (entry) => {
    expect(() => parseHttpHosts([entry])).toThrow(/host or host:port/);
  });
});

describe('vetHost', () => {
  const resolve = resolverOf({
    'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'mixed.example': ['93.184.215.14', '10.0.0.7'],
    'mixed-v6.example': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::1'],
    'metadata.example': ['169.254.169.254'],
    'empty.example': [],
  });

  it('answers the first address of a name whose every address is public', async () => {
    await expect(vetHost(new URL('https://public.example/a'), resolve)).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });

  it.each([
    ['mixed.example', /resolves to 10\.0\.0\.7, a private address/],
    ['mixed-v6.example', /resolves to ::1, a loopback address/],
    ['metadata.example', /metadata/],
  ])('refuses %s, one of whose addresses is not public, with 400', async (host, reason) => {
    const vetting = vetHost(new URL(`https://${host}/`), resolve);
    await expect(vetting).rejects.toBeInstanceOf(SourceRefusedError);
    await expect(vetting).rejects.toThrow(reason);
  });

  it('checks a literal address itself, without asking DNS', async () => {
    const never: Resolver = () => Promise.reject(new Error('DNS was asked'));
    await expect(vetHost(new URL('https://[2606:4700:4700::1111]/'), never)).resolves.toEqual({ address: '2606:4700:4700::1111', family: 6 });
    await expect(vetHost(new URL('https://[::ffff:a00:1]/'), never)).rejects.toThrow(/private/);
  });

  it.each([
    ['unknown.example', /could not be resolved \(ENOTFOUND\)/],
    ['empty.example', /has no address/],
  ])('answers %s, which has no address, with 422', async (host, reason) => {
    const vetting = vetHost(new URL(`https://${host}/`), resolve);
    await expect(vetting).rejects.toBeInstanceOf(SourceFailedError);
    await expect(vetting).rejects.toThrow(reason);
  });
});

describe('sourceFilename and sourceMimeType', () => {
  it.each([
    ['https://example.com/reports/Q1%20report.pdf?x=1', undefined, 'Q1 report.pdf'],
    ['https://example.com/download?id=3', 'attachment; filename="invoice.pdf"', 'invoice.pdf'],
    ['https://example.com/d', `attachment; filename="fallback.txt"; filename*=UTF-8''Rechnung%20M%C3%A4rz.txt`, 'Rechnung März.txt'],
    ['https://example.com/d', 'inline; filename=plain.csv', 'plain.csv'],
    ['https://example.com/', undefined, 'file'],
    ['https://example.com/%E0%A4%A', undefined, '%E0%A4%A'],
    ['https://example.com/a%00b%0A.txt', undefined, 'ab.txt'],
    ['https://example.com/%20%20', 'attachment; filename="   "', 'file'],
  ])('names %s with Content-Disposition %s as "%s"', (url, disposition, name) => {
    expect(sourceFilename(new URL(url), disposition)).toBe(name);
  });

  it.each([
    ['text/html; charset=utf-8', 'text/html'],
    ['Image/PNG', 'image/png'],
    ['nonsense', undefined],
    ['text/plain\r\nx-evil: 1', undefined],
    [undefined, undefined],
  ])('takes %s as the type %s', (header, type) => {
    expect(sourceMimeType(header)).toBe(type);
  });
});
