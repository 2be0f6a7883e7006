import { Sha256 } from '@aws-crypto/sha256-js';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { verifySigV4, type SigV4Request, type SigV4Result } from '../../../local/s3/sigv4';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const region = 'eu-central-1';
const endpoint = 'http://127.0.0.1:4599';
const lookup = (id: string) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined);
const verify = (request: SigV4Request, now?: Date) => verifySigV4(request, { credentials: lookup, region, now });

function clientWith(secretAccessKey = credentials.secretAccessKey, accessKeyId = credentials.accessKeyId) {
  return new S3Client({ endpoint, region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
}

/** A presigned PUT for a 5-byte text/plain upload, as the file service hands them out. */
async function presignPut(options: { key?: string; client?: S3Client; signingDate?: Date; expiresIn?: number } = {}) {
  const command = new PutObjectCommand({
    Bucket: 'files',
    Key: options.key ?? 'temp/a b+c.txt',
    ContentType: 'text/plain',
    ContentLength: 5,
  });
  return new URL(
    await getSignedUrl(options.client ?? clientWith(), command, {
      signableHeaders: new Set(['content-type']),
      expiresIn: options.expiresIn ?? 900,
      signingDate: options.signingDate,
    }),
  );
}

/** What the server would see when a browser follows the URL. */
function requestFor(url: URL, headers: Record<string, string> = {}, method = 'PUT'): SigV4Request {
  return {
    method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: { host: url.host, 'content-type': 'text/plain', 'content-length': '5', ...headers },
  };
}

function codeOf(result: SigV4Result): string {
  return result.ok ? 'ok' : result.code;
}

describe('verifySigV4 with presigned URLs', () => {
  it('accepts a correct presigned PUT URL', async () => {
    // Prepare
    const url = await presignPut();

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(result).toEqual({ ok: true, accessKeyId: credentials.accessKeyId });
  });

  it('accepts a presigned GET with response header overrides', async () => {
    // Prepare
    const command = new GetObjectCommand({
      Bucket: 'files',
      Key: 'files/report (1).pdf',
      ResponseContentDisposition: 'attachment; filename="report (1).pdf"',
      ResponseContentType: 'application/pdf',
    });
    const url = new URL(await getSignedUrl(clientWith(), command, { expiresIn: 60 }));

    // Act
    const result = verify({ method: 'GET', path: url.pathname, query: url.search.slice(1), headers: { host: url.host } });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('rejects a tampered signature with SignatureDoesNotMatch', async () => {
    // Prepare
    const url = await presignPut();
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', `${signature.startsWith('0') ? '1' : '0'}${signature.slice(1)}`);

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('rejects the URL when used for a different key', async () => {
    // Prepare
    const url = await presignPut({ key: 'temp/one.txt' });
    url.pathname = '/files/temp/two.txt';

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a different content-type than the one signed', async () => {
    // Prepare
    const url = await presignPut();

    // Act
    const result = verify(requestFor(url, { 'content-type': 'text/html' }));

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a different content-length than the one signed', async () => {
    // Prepare
    const url = await presignPut();

    // Act
    const result = verify(requestFor(url, { 'content-length': '6' }));

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a request that lacks a signed header', async () => {
    // Prepare
    const url = await presignPut();
    const request = requestFor(url);
    delete request.headers['content-type'];

    // Act
    const result = verify(request);

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects an expired URL with AccessDenied "Request has expired"', async () => {
    // Prepare
    const url = await presignPut({ signingDate: new Date(Date.now() - 120_000), expiresIn: 60 });

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 403, code: 'AccessDenied', message: 'Request has expired' });
  });

  it('rejects an unknown access key with InvalidAccessKeyId', async () => {
    // Prepare
    const url = await presignPut({ client: clientWith(credentials.secretAccessKey, 'AKIDUNKNOWN') });

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 403, code: 'InvalidAccessKeyId' });
  });

  it('rejects a URL signed with the wrong secret', async () => {
    // Prepare
    const url = await presignPut({ client: clientWith('not-the-secret') });

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a request carrying both a presigned query and an Authorization header', async () => {
    // Prepare
    const url = await presignPut();
    const authorization = 'AWS4-HMAC-SHA256 Credential=x/20240101/eu-central-1/s3/aws4_request, SignedHeaders=host, Signature=00';

    // Act
    const result = verify(requestFor(url, { authorization }));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 400, code: 'InvalidArgument' });
    expect(result.ok || result.message).toMatch(/Only one auth mechanism allowed/);
  });

  it('rejects an anonymous request with AccessDenied', () => {
    // Prepare
    const request = requestFor(new URL(`${endpoint}/files/temp/x.txt`), {}, 'GET');

    // Act
    const result = verify(request);

    // Assess
    expect(result).toMatchObject({ ok: false, status: 403, code: 'AccessDenied' });
  });

  it('rejects a presigned URL with a missing parameter as malformed', async () => {
    // Prepare
    const url = await presignPut();
    url.searchParams.delete('X-Amz-Credential');

    // Act
    const result = verify(requestFor(url));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 400, code: 'AuthorizationQueryParametersError' });
  });

  it('rejects unsigned x-amz headers added to a presigned request', async () => {
    // Prepare
    const url = await presignPut();

    // Act
    const result = verify(requestFor(url, { 'x-amz-meta-owner': 'mallory' }));

    // Assess
    expect(result).toMatchObject({ ok: false, code: 'AccessDenied', details: { HeadersNotSigned: 'x-amz-meta-owner' } });
  });
});

describe('verifySigV4 with an Authorization header', () => {
  /** Signs like the SDK's S3 client does: path not double-encoded, payload hash in a header. */
  async function signedHeaderRequest(secretAccessKey = credentials.secretAccessKey): Promise<SigV4Request> {
    const signer = new SignatureV4({
      credentials: { ...credentials, secretAccessKey },
      region,
      service: 's3',
      sha256: Sha256,
      uriEscapePath: false,
    });
    const signed = await signer.sign({
      method: 'PUT',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4599,
      path: '/files/temp/hello%20world.txt',
      query: { 'x-id': 'PutObject' },
      headers: {
        host: '127.0.0.1:4599',
        'content-type': 'text/plain',
        'content-length': '5',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-amz-meta-owner': 'alice',
      },
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) headers[name.toLowerCase()] = value;
    return { method: 'PUT', path: signed.path, query: 'x-id=PutObject', headers };
  }

  it('accepts a request signed by @smithy/signature-v4', async () => {
    // Prepare
    const request = await signedHeaderRequest();

    // Act
    const result = verify(request);

    // Assess
    expect(result).toEqual({ ok: true, accessKeyId: credentials.accessKeyId });
  });

  it('rejects the request once a signed header is modified', async () => {
    // Prepare
    const request = await signedHeaderRequest();
    request.headers['x-amz-meta-owner'] = 'mallory';

    // Act
    const result = verify(request);

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a request signed with the wrong secret', async () => {
    // Prepare
    const request = await signedHeaderRequest('not-the-secret');

    // Act
    const result = verify(request);

    // Assess
    expect(codeOf(result)).toBe('SignatureDoesNotMatch');
  });

  it('rejects a request whose clock is more than 15 minutes off with RequestTimeTooSkewed', async () => {
    // Prepare
    const request = await signedHeaderRequest();

    // Act
    const result = verify(request, new Date(Date.now() + 20 * 60_000));

    // Assess
    expect(result).toMatchObject({ ok: false, status: 403, code: 'RequestTimeTooSkewed' });
  });
});
