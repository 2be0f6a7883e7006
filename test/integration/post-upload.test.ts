import { createHash, createHmac } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store';
import { downloadBytes, type Entity } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * Presigned POST (browser form uploads): the local S3 enforces the policy as S3 does, so a
 * form that works here works against AWS, and every refused form leaves the bucket as it was.
 */

const maxUploadBytes = 1024 * 1024;
const context = useLocalStack({ maxUploadBytes });

interface PostTicket {
  s3ref: { bucket: string; key: string };
  upload_url: string;
  upload_fields: Record<string, string>;
  max_size_bytes: number;
}

async function postTicket(body: Record<string, unknown>): Promise<PostTicket> {
  const ticket = await context.api.post<PostTicket>('/v2/files/upload', { upload_method: 'post', ...body });
  expect(ticket.status).toBe(201);
  return ticket.body;
}

/** A form as a browser builds it: the fields in order, the file last. */
function postForm(url: string, fields: Record<string, string>, bytes: Uint8Array, filename = 'upload.bin'): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([bytes]), filename);
  return fetch(url, { method: 'POST', body: form });
}

/** A policy of one's own, signed with the administrator's key as the AWS docs describe. */
function adminForm(key: string, conditions: unknown[]): Record<string, string> {
  const { accessKeyId, secretAccessKey } = context.stack.credentials;
  const amzDate = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  const scope = [amzDate.slice(0, 8), context.stack.region, 's3', 'aws4_request'];
  const signing = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': [accessKeyId, ...scope].join('/'), 'x-amz-date': amzDate };
  const expiration = new Date(Date.now() + 60_000).toISOString();
  const all = [{ bucket: context.stack.bucket }, { key }, ...conditions, ...Object.entries(signing).map(([name, value]) => ({ [name]: value }))];
  const policy = Buffer.from(JSON.stringify({ expiration, conditions: all })).toString('base64');
  const hmac = (secret: string | Buffer, data: string) => createHmac('sha256', secret).update(data).digest();
  const signingKey = scope.reduce<string | Buffer>((secret, part) => hmac(secret, part), `AWS4${secretAccessKey}`);
  return { key, ...signing, policy, 'x-amz-signature': hmac(signingKey, policy).toString('hex') };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');
const xmlCode = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
const xmlMessage = (xml: string) => /<Message>([^<]*)<\/Message>/.exec(xml)?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

describe('presigned POST uploads', () => {
  it('answers the bucket URL, the form fields and the size limit, and a posted file saves like a PUT one', async () => {
    // Prepare
    const bytes = Buffer.from('%PDF-1.7\nposted through a form\n');
    const ticket = await postTicket({ filename: 'form.pdf', mime_type: 'application/pdf' });
    expect(ticket.upload_url).toBe(`${context.stack.s3Endpoint}/${context.stack.bucket}/`);
    expect(ticket.max_size_bytes).toBe(maxUploadBytes);
    expect(ticket.upload_fields).toMatchObject({
      key: ticket.s3ref.key,
      'Content-Type': 'application/pdf',
      'x-amz-algorithm': 'AWS4-HMAC-SHA256',
      'x-amz-credential': expect.stringMatching(/\/us-east-1\/s3\/aws4_request$/),
      'x-amz-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
      'x-amz-signature': expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    // Act
    const posted = await postForm(ticket.upload_url, ticket.upload_fields, bytes, 'form.pdf');
    const stored = await context.storage.s3.send(new HeadObjectCommand({ Bucket: context.stack.bucket, Key: ticket.s3ref.key }));
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: ticket.s3ref, filename: 'form.pdf' });

    // Assess
    expect(posted.status).toBe(204);
    expect(posted.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(stored).toMatchObject({ ContentType: 'application/pdf', ContentLength: bytes.length });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ filename: 'form.pdf', mime_type: 'application/pdf', size_bytes: bytes.length });
    expect(await downloadBytes(context.api, saved.body._id)).toEqual(bytes);
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
  });

  it('takes any Content-Type for an untyped upload, and save types the file from what was stored', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'notes.txt' });
    expect(ticket.upload_fields['Content-Type']).toBeUndefined();

    // Act
    const posted = await postForm(ticket.upload_url, { ...ticket.upload_fields, 'Content-Type': 'text/plain' }, Buffer.from('hello'));
    const saved = await context.api.post<Entity>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(posted.status).toBe(204);
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ mime_type: 'text/plain', size_bytes: 5 });
  });

  it('refuses with 403 a form field that the policy does not name', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'a.txt', mime_type: 'text/plain' });

    // Act
    const refused = await postForm(ticket.upload_url, { ...ticket.upload_fields, success_action_status: '201' }, Buffer.from('a'));

    // Assess
    expect(refused.status).toBe(403);
    expect(xmlMessage(await refused.text())).toBe('Invalid according to Policy: Extra input fields: success_action_status');
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
  });

  it('refuses a file over the declared size with 400 EntityTooLarge and stores nothing', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'small.txt', mime_type: 'text/plain', size_bytes: 5 });
    expect(ticket.max_size_bytes).toBe(5);
    const before = await context.storage.keys();

    // Act
    const posted = await postForm(ticket.upload_url, ticket.upload_fields, Buffer.from('123456'));

    // Assess
    expect(posted.status).toBe(400);
    const xml = await posted.text();
    expect(xmlCode(xml)).toBe('EntityTooLarge');
    expect(xml).toContain('<MaxSizeAllowed>5</MaxSizeAllowed>');
    expect(await context.storage.keys()).toEqual(before);
  });

  it('signs a declared checksum into the form, and a file with that SHA-256 is stored and saved with it', async () => {
    // Prepare
    const bytes = Buffer.from('checked through a form\n');
    const checksum = sha256(bytes);
    const ticket = await postTicket({ filename: 'checked.txt', mime_type: 'text/plain', checksum_sha256: checksum });
    expect(ticket.upload_fields['x-amz-checksum-sha256']).toBe(checksum);

    // Act
    const posted = await postForm(ticket.upload_url, ticket.upload_fields, bytes);
    const stored = await context.storage.s3.send(new HeadObjectCommand({ Bucket: context.stack.bucket, Key: ticket.s3ref.key, ChecksumMode: 'ENABLED' }));
    const saved = await context.api.post<Entity & { checksum_sha256?: string }>('/v2/files', { s3ref: ticket.s3ref });

    // Assess
    expect(posted.status).toBe(204);
    expect(stored.ChecksumSHA256).toBe(checksum);
    expect(stored.Metadata).toEqual({});
    expect(saved.status).toBe(201);
    expect(saved.body.checksum_sha256).toBe(checksum);
  });

  it('refuses a file with another SHA-256 than the signed checksum with 400 BadDigest and stores nothing', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'checked.txt', mime_type: 'text/plain', checksum_sha256: sha256(Buffer.from('expected')) });
    const before = await context.storage.keys();

    // Act
    const posted = await postForm(ticket.upload_url, ticket.upload_fields, Buffer.from('tampered'));

    // Assess
    expect(posted.status).toBe(400);
    expect(xmlCode(await posted.text())).toBe('BadDigest');
    expect(await context.storage.keys()).toEqual(before);
  });

  it('refuses with 403 a form whose checksum field differs from the signed one, even when it matches the file', async () => {
    // Prepare
    const bytes = Buffer.from('other bytes');
    const ticket = await postTicket({ filename: 'checked.txt', mime_type: 'text/plain', checksum_sha256: sha256(Buffer.from('expected')) });

    // Act
    const posted = await postForm(ticket.upload_url, { ...ticket.upload_fields, 'x-amz-checksum-sha256': sha256(bytes) }, bytes);

    // Assess
    expect(posted.status).toBe(403);
    expect(xmlMessage(await posted.text())).toMatch(/^Invalid according to Policy: Policy Condition failed/);
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
  });

  it('refuses a checksum field that is no base64 SHA-256 with 400 InvalidRequest, and never takes the stored checksum from the form', async () => {
    // Prepare: a policy that lets both fields through with any value.
    const key = 'temp/org-a/33333333-3333-4333-8333-333333333333/claimed.txt';
    const open = [['starts-with', '$x-amz-checksum-sha256', ''], ['starts-with', '$x-amz-meta-local-s3-checksum-sha256', '']];
    const claimed = sha256(Buffer.from('claimed'));

    // Act
    const malformed = await postForm(`${context.stack.s3Endpoint}/${context.stack.bucket}/`, { ...adminForm(key, open), 'x-amz-checksum-sha256': 'not-a-digest' }, Buffer.from('a'));
    const forged = await postForm(
      `${context.stack.s3Endpoint}/${context.stack.bucket}/`,
      { ...adminForm(key, open), 'x-amz-meta-local-s3-checksum-sha256': claimed },
      Buffer.from('unchecked'),
    );
    const stored = await context.storage.s3.send(new HeadObjectCommand({ Bucket: context.stack.bucket, Key: key, ChecksumMode: 'ENABLED' }));

    // Assess
    expect(malformed.status).toBe(400);
    expect(xmlCode(await malformed.text())).toBe('InvalidRequest');
    expect(forged.status).toBe(204);
    expect(stored.ChecksumSHA256).toBeUndefined();
  });

  it('refuses a file over the service maximum when no size was declared', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'big.bin', mime_type: 'application/octet-stream' });
    const before = await context.storage.keys();

    // Act
    const posted = await postForm(ticket.upload_url, ticket.upload_fields, Buffer.alloc(maxUploadBytes + 1));

    // Assess
    expect(posted.status).toBe(400);
    expect(xmlCode(await posted.text())).toBe('EntityTooLarge');
    expect(await context.storage.keys()).toEqual(before);
  });

  it('refuses the form with 403 when it names another key, even another of the caller\'s temp keys', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'mine.txt', mime_type: 'text/plain' });
    const other = `${ticket.s3ref.key.split('/').slice(0, 2).join('/')}/00000000-0000-4000-8000-000000000000/other.txt`;
    const before = await context.storage.keys();

    // Act
    const posted = await postForm(ticket.upload_url, { ...ticket.upload_fields, key: other }, Buffer.from('x'));

    // Assess
    expect(posted.status).toBe(403);
    expect(xmlMessage(await posted.text())).toBe(`Invalid according to Policy: Policy Condition failed: {"key":"${ticket.s3ref.key}"}`);
    expect(await context.storage.keys()).toEqual(before);
  });

  it('refuses a tampered policy with 403 SignatureDoesNotMatch', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'a.txt', mime_type: 'text/plain', size_bytes: 1 });
    const policy = JSON.parse(Buffer.from(ticket.upload_fields.policy ?? '', 'base64').toString('utf8')) as { conditions: unknown[] };
    policy.conditions = policy.conditions.map((condition) =>
      Array.isArray(condition) && condition[0] === 'content-length-range' ? ['content-length-range', 0, 10 ** 9] : condition,
    );
    const tampered = Buffer.from(JSON.stringify(policy)).toString('base64');
    const before = await context.storage.keys();

    // Act
    const posted = await postForm(ticket.upload_url, { ...ticket.upload_fields, policy: tampered }, Buffer.from('too many bytes'));

    // Assess
    expect(posted.status).toBe(403);
    expect(xmlCode(await posted.text())).toBe('SignatureDoesNotMatch');
    expect(await context.storage.keys()).toEqual(before);
  });

  it('refuses another Content-Type for a typed upload with 403', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'a.pdf', mime_type: 'application/pdf' });

    // Act
    const posted = await postForm(ticket.upload_url, { ...ticket.upload_fields, 'Content-Type': 'text/html' }, Buffer.from('<script>'));

    // Assess
    expect(posted.status).toBe(403);
    expect(xmlMessage(await posted.text())).toBe('Invalid according to Policy: Policy Condition failed: {"Content-Type":"application/pdf"}');
    expect(await context.storage.exists(ticket.s3ref.key)).toBe(false);
  });

  it('refuses a correctly signed policy once it has expired, with 403', async () => {
    // Prepare: signed by valid credentials, but its window closed a minute ago.
    const client = new S3Client({
      endpoint: context.stack.s3Endpoint,
      region: context.stack.region,
      credentials: context.stack.credentials,
      forcePathStyle: true,
    });
    const store = new S3ObjectStore({ bucket: context.stack.bucket, client, uploadUrlTtlSeconds: -60, downloadUrlTtlSeconds: 60 });
    const key = 'temp/org-a/11111111-1111-4111-8111-111111111111/late.txt';
    const post = await store.presignPost(key, { contentType: 'text/plain', maxBytes: 10 });
    client.destroy();

    // Act
    const posted = await postForm(post.url, post.fields, Buffer.from('late'));

    // Assess
    expect(posted.status).toBe(403);
    expect(xmlMessage(await posted.text())).toBe('Invalid according to Policy: Policy expired.');
    expect(await context.storage.exists(key)).toBe(false);
  });

  it('answers success_action_status 201 with the PostResponse XML, stores covered metadata, and ignores fields after the file', async () => {
    // Prepare
    const key = 'temp/org-a/22222222-2222-4222-8222-222222222222/status.txt';
    const elsewhere = 'temp/org-a/22222222-2222-4222-8222-222222222222/elsewhere.txt';
    const fields = adminForm(key, [{ success_action_status: '201' }, ['starts-with', '$x-amz-meta-note', ''], ['content-length-range', 1, 100]]);
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...fields, success_action_status: '201', 'x-amz-meta-note': 'kept' })) form.append(name, value);
    form.append('file', new Blob([Buffer.from('status')]), 'status.txt');
    form.append('key', elsewhere);

    // Act
    const posted = await fetch(`${context.stack.s3Endpoint}/${context.stack.bucket}/`, { method: 'POST', body: form });
    const stored = await context.storage.s3.send(new HeadObjectCommand({ Bucket: context.stack.bucket, Key: key }));

    // Assess
    expect(posted.status).toBe(201);
    expect(await posted.text()).toContain(`<Key>${key}</Key>`);
    expect(stored).toMatchObject({ ContentLength: 6, Metadata: { note: 'kept' } });
    expect(await context.storage.exists(elsewhere)).toBe(false);
  });

  it('refuses with 403 AccessDenied a form signed by a function that may not write the key (s3:PutObject)', async () => {
    // Prepare: the part signer may write files/ only; the download function may write nothing.
    const formBy = async (functionName: string, key: string) => {
      const client = new S3Client({
        endpoint: context.stack.s3Endpoint,
        region: context.stack.region,
        credentials: context.stack.iam.credentialsOf(functionName),
        forcePathStyle: true,
      });
      const store = new S3ObjectStore({ bucket: context.stack.bucket, client, uploadUrlTtlSeconds: 60, downloadUrlTtlSeconds: 60 });
      const post = await store.presignPost(key, { contentType: 'text/plain', maxBytes: 10 });
      client.destroy();
      return post;
    };
    const temp = 'temp/org-a/11111111-1111-4111-8111-111111111111/a.txt';
    const before = await context.storage.keys();

    // Act
    const answers = await Promise.all(
      [await formBy('presignUploadParts', temp), await formBy('downloadFile', temp)].map((post) =>
        postForm(post.url, post.fields, Buffer.from('x')),
      ),
    );

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(403);
      expect(xmlCode(await answer.text())).toBe('AccessDenied');
    }
    expect(context.stack.iam.denied()).toEqual(
      expect.arrayContaining([
        { function: 'presignUploadParts', service: 's3', action: 's3:PutObject', resource: `arn:aws:s3:::${context.stack.bucket}/${temp}` },
        { function: 'downloadFile', service: 's3', action: 's3:PutObject', resource: `arn:aws:s3:::${context.stack.bucket}/${temp}` },
      ]),
    );
    expect(await context.storage.keys()).toEqual(before);
  });

  it('refuses a form without a policy as an anonymous write, and one without a file or not multipart with 400', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'a.txt', mime_type: 'text/plain' });
    const withoutFile = new FormData();
    for (const [name, value] of Object.entries(ticket.upload_fields)) withoutFile.append(name, value);
    const before = await context.storage.keys();

    // Act
    const anonymous = await postForm(ticket.upload_url, { key: ticket.s3ref.key }, Buffer.from('x'));
    const noFile = await fetch(ticket.upload_url, { method: 'POST', body: withoutFile });
    const broken = await fetch(ticket.upload_url, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nContent-Disposition: form-data; name="key"\r\n\r\nvalue-without-end',
    });

    // Assess
    expect([anonymous.status, xmlCode(await anonymous.text())]).toEqual([403, 'AccessDenied']);
    expect([noFile.status, xmlCode(await noFile.text())]).toEqual([400, 'InvalidArgument']);
    expect([broken.status, xmlCode(await broken.text())]).toEqual([400, 'MalformedPOSTRequest']);
    expect(await context.storage.keys()).toEqual(before);
  });

  it('refuses fields before the file beyond 20 KB with 400 MaxPostPreDataLengthExceeded', async () => {
    // Prepare
    const ticket = await postTicket({ filename: 'a.txt', mime_type: 'text/plain' });
    const before = await context.storage.keys();

    // Act
    const posted = await postForm(ticket.upload_url, { ...ticket.upload_fields, 'x-ignore-padding': 'p'.repeat(21 * 1024) }, Buffer.from('x'));

    // Assess
    expect(posted.status).toBe(400);
    expect(xmlCode(await posted.text())).toBe('MaxPostPreDataLengthExceeded');
    expect(await context.storage.keys()).toEqual(before);
  });

  it('lets a browser on an allowed origin POST forms (CORS preflight)', async () => {
    // Act
    const preflight = await fetch(`${context.stack.s3Endpoint}/${context.stack.bucket}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });

    // Assess
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('refuses upload_method values other than put, post and multipart with 400, and changes nothing', async () => {
    // Prepare
    const before = await context.storage.keys();

    // Act
    const answers = await Promise.all(
      ['Multipart', 'POST', '', 1, null, ['post'], { post: true }].map((upload_method) =>
        context.api.post('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain', upload_method }),
      ),
    );

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ status: 400, error: expect.stringContaining('upload_method') });
    }
    expect(await context.storage.keys()).toEqual(before);
  });
});
