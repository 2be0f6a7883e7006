import { describe, expect, it } from 'vitest';
import { PublicFiles } from '../../../lambdas/core/public-files';
import type { Caller } from '../../../lambdas/core/model';
import { orgA, orgB, setup } from './fakes';

const clean = { deleteTempFile: true, versionOnly: false };
const unknownId = '6a1f6c3e-2b4d-4c8e-9f0a-1b2c3d4e5f60';

function publicSetup() {
  const context = setup();
  const publicFiles = new PublicFiles({ files: context.repository, store: context.store });
  async function saveAs(caller: Caller, access: 'private' | 'public-read', filename = 'photo.png', mimeType = 'image/png') {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const s3ref = await context.upload(caller, filename, mimeType === 'image/png' ? png : 'text', mimeType);
    return (await context.service.save(caller, { s3ref, access_control: access }, clean)).entity;
  }
  return { ...context, publicFiles, saveAs };
}

describe('PublicFiles.download', () => {
  it('answers a public-read file with a presigned URL of its latest version, shown inline when its type is safe', async () => {
    // Prepare
    const { publicFiles, saveAs, service, upload, store } = publicSetup();
    const file = await saveAs(orgA, 'public-read');
    const s3ref = await upload(orgA, 'second.txt', 'second', 'text/plain');
    const second = await service.save(orgA, { s3ref, id: file._id, access_control: 'public-read' }, clean);

    // Act
    const url = await publicFiles.download(orgA.org, file._id);

    // Assess
    const latest = second.entity.versions[0]?.s3ref.key ?? '';
    expect(url).toBe(`https://files-bucket.example/${latest}?disposition=inline`);
    expect(store.downloadsSigned.at(-1)).toEqual({ key: latest, filename: 'second.txt', contentType: 'text/plain', attachment: false });
  });

  it('serves a public-read HTML file as an attachment, never inline', async () => {
    // Prepare
    const { publicFiles, saveAs, store } = publicSetup();
    const file = await saveAs(orgA, 'public-read', 'page.html', 'text/html');

    // Act
    await publicFiles.download(orgA.org, file._id);

    // Assess
    expect(store.downloadsSigned.at(-1)?.attachment).toBe(true);
  });

  it('refuses a private file with 403 "File is not publicly accessible"', async () => {
    // Prepare
    const { publicFiles, saveAs, store } = publicSetup();
    const file = await saveAs(orgA, 'private');

    // Act
    const attempt = publicFiles.download(orgA.org, file._id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 403, message: 'File is not publicly accessible' });
    expect(store.downloadsSigned).toEqual([]);
  });

  it('answers 404 for a public file named with another org, an unknown id, a malformed id or no org', async () => {
    // Prepare
    const { publicFiles, saveAs } = publicSetup();
    const file = await saveAs(orgA, 'public-read');

    // Act
    const attempts = [
      publicFiles.download(orgB.org, file._id),
      publicFiles.download(orgA.org, unknownId),
      publicFiles.download(orgA.org, '../etc/passwd'),
      publicFiles.download(undefined, file._id),
      publicFiles.download('', file._id),
    ];

    // Assess
    await Promise.all(attempts.map((attempt) => expect(attempt).rejects.toMatchObject({ status: 404, message: 'File not found' })));
  });

  it('answers 404 once a delete of the public file has begun', async () => {
    // Prepare
    const { publicFiles, saveAs, repository } = publicSetup();
    const file = await saveAs(orgA, 'public-read');
    await repository.markDeleting(orgA.org, file._id);

    // Act
    const attempt = publicFiles.download(orgA.org, file._id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });

  it('refuses an org_id too long to be one with 400', async () => {
    // Prepare
    const { publicFiles } = publicSetup();

    // Act
    const attempt = publicFiles.download('o'.repeat(257), unknownId);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 400 });
  });
});
