import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../lambdas/core/errors';
import { orgA, orgB, setup } from './fakes';

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: HttpError) => error);

describe('FileService.update', () => {
  it('changes only the given fields, adds no version, and moves the ETag on', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const saved = await saveNew(orgA, 'a.txt');
    const before = await service.getTagged(orgA, saved._id);

    // Act
    const { entity, etag } = await service.update(orgA, saved._id, { title: 'Title', relations: [{ entity_id: 'order-1' }] });

    // Assess
    expect(entity).toEqual({ ...before.entity, _title: 'Title', relations: [{ entity_id: 'order-1' }], _updated_at: entity._updated_at });
    expect(etag).not.toBe(before.etag);
    expect((await service.getTagged(orgA, saved._id)).etag).toBe(etag);
  });

  it('applies an If-Match of the current ETag or *, and refuses any other with 412', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const saved = await saveNew(orgA);
    const { etag } = await service.getTagged(orgA, saved._id);

    // Act
    const matching = await service.update(orgA, saved._id, { title: 'one' }, { ifMatch: ['"nope"', etag] });
    const anything = await service.update(orgA, saved._id, { title: 'two' }, { ifMatch: ['*'] });
    const stale = await failure(service.update(orgA, saved._id, { title: 'three' }, { ifMatch: [etag] }));
    const weak = await failure(service.update(orgA, saved._id, { title: 'four' }, { ifMatch: [`W/${anything.etag}`] }));

    // Assess
    expect(matching.entity._title).toBe('one');
    expect(anything.entity._title).toBe('two');
    expect([stale?.status, weak?.status]).toEqual([412, 412]);
    expect((await service.get(orgA, saved._id))._title).toBe('two');
  });

  it('answers 404 for another org’s file and changes nothing', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const theirs = await saveNew(orgB, 'theirs.txt');

    // Act
    const error = await failure(service.update(orgA, theirs._id, { title: 'mine' }));

    // Assess
    expect(error?.status).toBe(404);
    expect((await service.get(orgB, theirs._id))._title).toBe('theirs.txt');
  });

  it('keeps a metadata update that raced a new version, and the version too', async () => {
    // Prepare
    const { service, saveNew, upload } = setup();
    const saved = await saveNew(orgA, 'a.txt');
    const s3ref = await upload(orgA, 'b.txt', 'v2');

    // Act
    await Promise.all([
      service.update(orgA, saved._id, { tags: ['kept'] }),
      service.save(orgA, { id: saved._id, s3ref }, { deleteTempFile: true, versionOnly: true }),
    ]);

    // Assess
    const entity = await service.get(orgA, saved._id);
    expect(entity._tags).toEqual(['kept']);
    expect(entity.versions).toHaveLength(2);
  });
});
