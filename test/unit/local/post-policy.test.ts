import { createHmac } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lambdas/adapters/s3-object-store';
import { checkPostLength, verifyPostPolicy, type PostPolicyVerdict } from '../../../local/s3/post-policy';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const region = 'eu-central-1';
const bucket = 'files';
const key = 'temp/org/upload/a.txt';
const now = new Date('2026-11-22T12:00:00Z');
const lookup = (id: string) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined);

const hmac = (secret: string | Buffer, data: string) => createHmac('sha256', secret).update(data).digest();

/** Signs a policy as the AWS docs describe: HMAC of the base64 policy with the scope's signing key. */
function signedForm(
  conditions: unknown[],
  options: { expiration?: string; fields?: Record<string, string>; secret?: string; accessKeyId?: string } = {},
): Array<[string, string]> {
  const date = '20261122';
  const credential = `${options.accessKeyId ?? credentials.accessKeyId}/${date}/${region}/s3/aws4_request`;
  const sigFields = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': `${date}T115900Z` };
  const policy = Buffer.from(
    JSON.stringify({
      expiration: options.expiration ?? '2026-11-22T13:00:00.000Z',
      conditions: [...conditions, ...Object.entries(sigFields).map(([name, value]) => ({ [name]: value }))],
    }),
  ).toString('base64');
  const signingKey = [date, region, 's3', 'aws4_request'].reduce<string | Buffer>(
    (secret, part) => hmac(secret, part),
    `AWS4${options.secret ?? credentials.secretAccessKey}`,
  );
  return Object.entries({
    key,
    ...options.fields,
    ...sigFields,
    policy,
    'x-amz-signature': hmac(signingKey, policy).toString('hex'),
  });
}

const verify = (fields: ReadonlyArray<readonly [string, string]>, at = now): PostPolicyVerdict =>
  verifyPostPolicy({ bucket, fields }, { credentials: lookup, region, now: at });

const withField = (fields: Array<[string, string]>, name: string, value: string): Array<[string, string]> => [
  ...fields.filter(([field]) => field !== name),
  [name, value],
];

const failureOf = (verdict: PostPolicyVerdict) => (verdict.ok ? undefined : { status: verdict.status, code: verdict.code, message: verdict.message });

describe('verifyPostPolicy', () => {
  it('accepts a form whose every field is covered and every condition holds, and reports the signer, key and size range', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }, { 'Content-Type': 'text/plain' }, ['content-length-range', 1, 100]], {
      fields: { 'Content-Type': 'text/plain' },
    });

    // Act
    const verdict = verify(fields);

    // Assess
    expect(verdict).toEqual({ ok: true, accessKeyId: credentials.accessKeyId, key, length: { min: 1, max: 100 } });
  });

  it('accepts the form S3ObjectStore signs for the service, typed and untyped', async () => {
    // Prepare
    const client = new S3Client({ region, endpoint: 'http://127.0.0.1:4599', forcePathStyle: true, credentials });
    const store = new S3ObjectStore({ bucket, client, uploadUrlTtlSeconds: 900, downloadUrlTtlSeconds: 60 });

    // Act
    const typed = await store.presignPost(key, { contentType: 'image/png', maxBytes: 2048 });
    const untyped = await store.presignPost(key, { maxBytes: 10 });

    // Assess
    const at = new Date();
    expect(typed.url).toBe(`http://127.0.0.1:4599/${bucket}/`);
    expect(verify(Object.entries(typed.fields), at)).toMatchObject({ ok: true, key, length: { min: 0, max: 2048 } });
    expect(verify([...Object.entries(untyped.fields), ['Content-Type', 'text/csv']], at)).toMatchObject({ ok: true });
    expect(failureOf(verify(withField(Object.entries(typed.fields), 'Content-Type', 'text/html'), at))).toMatchObject({
      status: 403,
      code: 'AccessDenied',
    });
  });

  it('matches field names without regard to case, and values exactly', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { KEY: key }, ['eq', '$Content-Type', 'text/plain']], {
      fields: { 'content-type': 'text/plain' },
    });
    const wrongCase = withField(fields, 'content-type', 'Text/Plain');

    // Act / Assess
    expect(verify(fields)).toMatchObject({ ok: true });
    expect(failureOf(verify(wrongCase))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy Condition failed: ["eq","$Content-Type","text/plain"]',
    });
  });

  it('checks starts-with conditions, on every type a Content-Type lists', () => {
    // Prepare
    const conditions = [{ bucket }, ['starts-with', '$key', 'temp/org/'], ['starts-with', '$Content-Type', 'image/']];
    const form = (type: string, path = key) => signedForm(conditions, { fields: { key: path, 'Content-Type': type } });

    // Act / Assess
    expect(verify(form('image/png')).ok).toBe(true);
    expect(verify(form('image/png, image/jpeg')).ok).toBe(true);
    expect(failureOf(verify(form('image/png, text/html')))?.code).toBe('AccessDenied');
    expect(failureOf(verify(form('image/png', 'temp/other/a.txt')))?.message).toContain('["starts-with","$key","temp/org/"]');
  });

  it('treats starts-with "" as any value or none', () => {
    // Prepare
    const conditions = [{ bucket }, { key }, ['starts-with', '$Content-Type', '']];

    // Act / Assess
    expect(verify(signedForm(conditions)).ok).toBe(true);
    expect(verify(signedForm(conditions, { fields: { 'Content-Type': 'anything/at-all' } })).ok).toBe(true);
  });

  it('checks the bucket condition against the bucket the form was posted to', () => {
    // Prepare
    const fields = signedForm([{ bucket: 'another-bucket' }, { key }]);

    // Act
    const verdict = verify(fields);

    // Assess
    expect(failureOf(verdict)?.message).toBe('Invalid according to Policy: Policy Condition failed: {"bucket":"another-bucket"}');
  });

  it('refuses any field no condition names, but not x-ignore- fields, the file or the signature', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }], { fields: { 'x-ignore-note': 'free text', success_action_status: '201' } });
    const allowed = fields.filter(([name]) => name !== 'success_action_status');

    // Act / Assess
    expect(failureOf(verify(fields))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: success_action_status',
    });
    expect(verify(allowed).ok).toBe(true);
  });

  it('accepts success_action_status when the policy names it', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }, { success_action_status: '201' }], { fields: { success_action_status: '201' } });

    // Act / Assess
    expect(verify(fields).ok).toBe(true);
    expect(verify(withField(fields, 'success_action_status', '200')).ok).toBe(false);
  });

  it('refuses a policy whose expiration has passed, even by a second', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }], { expiration: '2026-11-22T12:00:00.000Z' });

    // Act / Assess
    expect(verify(fields, new Date('2026-11-22T11:59:59Z')).ok).toBe(true);
    expect(failureOf(verify(fields))).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });

  it('refuses a tampered policy, a tampered signature and a wrong secret with SignatureDoesNotMatch', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }, ['content-length-range', 0, 5]]);
    const policy = fields.find(([name]) => name === 'policy')?.[1] ?? '';
    const widened = Buffer.from(Buffer.from(policy, 'base64').toString().replace(',0,5]', ',0,5000]')).toString('base64');
    expect(widened).not.toBe(policy);
    const signature = fields.find(([name]) => name === 'x-amz-signature')?.[1] ?? '';

    // Act
    const verdicts = [
      verify(withField(fields, 'policy', widened)),
      verify(withField(fields, 'x-amz-signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`)),
      verify(signedForm([{ bucket }, { key }], { secret: 'guessed' })),
    ];

    // Assess
    for (const verdict of verdicts) expect(failureOf(verdict)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('refuses an unknown access key with 403 InvalidAccessKeyId', () => {
    // Act
    const verdict = verify(signedForm([{ bucket }, { key }], { accessKeyId: 'AKIDUNKNOWN' }));

    // Assess
    expect(failureOf(verdict)).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
  });

  it('refuses a form without a policy as an anonymous write', () => {
    // Act
    const verdict = verify([['key', key]]);

    // Assess
    expect(failureOf(verdict)).toEqual({ status: 403, code: 'AccessDenied', message: 'Access Denied' });
  });

  it('asks for each signing field a signed form lacks, and for the key', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }]);

    // Act / Assess
    for (const name of ['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature', 'key']) {
      const verdict = verify(fields.filter(([field]) => field !== name));
      expect(failureOf(verdict)).toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining(`'${name}'`) });
    }
  });

  it('refuses a credential for another region or service with 400', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }]);
    const credential = fields.find(([name]) => name === 'x-amz-credential')?.[1] ?? '';

    // Act / Assess
    expect(failureOf(verify(withField(fields, 'x-amz-credential', credential.replace(region, 'us-west-2'))))?.status).toBe(400);
    expect(failureOf(verify(withField(fields, 'x-amz-credential', credential.replace('/s3/', '/sqs/'))))?.status).toBe(400);
    expect(failureOf(verify(withField(fields, 'x-amz-algorithm', 'AWS4-HMAC-SHA1')))?.status).toBe(400);
  });

  it.each([
    ['not base64 JSON', Buffer.from('{not json').toString('base64')],
    ['no expiration', Buffer.from(JSON.stringify({ conditions: [] })).toString('base64')],
    ['an unknown operator', Buffer.from(JSON.stringify({ expiration: '2030-01-01T00:00:00Z', conditions: [['ends-with', '$key', 'x']] })).toString('base64')],
    ['a reversed range', Buffer.from(JSON.stringify({ expiration: '2030-01-01T00:00:00Z', conditions: [['content-length-range', 9, 1]] })).toString('base64')],
  ])('refuses a signed policy with %s as 400 InvalidPolicyDocument', (_, policy) => {
    // Prepare: validly signed, so only the document itself is wrong.
    const signingKey = ['20261122', region, 's3', 'aws4_request'].reduce<string | Buffer>(
      (secret, part) => hmac(secret, part),
      `AWS4${credentials.secretAccessKey}`,
    );
    const fields = withField(withField(signedForm([]), 'policy', policy), 'x-amz-signature', hmac(signingKey, policy).toString('hex'));

    // Act
    const verdict = verify(fields);

    // Assess
    expect(failureOf(verdict)).toMatchObject({ status: 400, code: 'InvalidPolicyDocument' });
  });

  it('narrows the size range to what every content-length-range allows', () => {
    // Prepare
    const fields = signedForm([{ bucket }, { key }, ['content-length-range', 2, 100], ['content-length-range', 0, 10]]);

    // Act
    const verdict = verify(fields);

    // Assess
    expect(verdict).toMatchObject({ ok: true, length: { min: 2, max: 10 } });
  });
});

describe('checkPostLength', () => {
  it('accepts sizes within the range, bounds included', () => {
    expect(checkPostLength(1, { min: 1, max: 5 })).toBeUndefined();
    expect(checkPostLength(5, { min: 1, max: 5 })).toBeUndefined();
  });

  it('refuses a bigger file with 400 EntityTooLarge and a smaller one with 400 EntityTooSmall', () => {
    expect(checkPostLength(6, { min: 1, max: 5 })).toMatchObject({
      status: 400,
      code: 'EntityTooLarge',
      details: { ProposedSize: '6', MaxSizeAllowed: '5' },
    });
    expect(checkPostLength(0, { min: 1, max: 5 })).toMatchObject({
      status: 400,
      code: 'EntityTooSmall',
      details: { ProposedSize: '0', MinSizeAllowed: '1' },
    });
  });
});
