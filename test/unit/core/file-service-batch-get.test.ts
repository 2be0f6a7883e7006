import { describe, expect, it } from 'vitest';
import { orgA, orgB, setup } from './fakes';

const unknownId = '6a1f6c3e-2b4d-4c8e-9f0a-1b2c3d4e5f60';

describe('FileService.getMany', () => {
  it('answers the files in the order asked, each once, and lists unknown and foreign ids as not found', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const first = await saveNew(orgA, 'first.txt');
    const second = await saveNew(orgA, 'second.txt');
    const theirs = await saveNew(orgB, 'theirs.txt');

    // Act
    const answer = await service.getMany(orgA, [second._id, theirs._id, first._id, unknownId, second._id]);

    // Assess
    expect(answer.results.map((entity) => entity.filename)).toEqual(['second.txt', 'first.txt']);
    expect(answer.results[0]).toEqual(await service.get(orgA, second._id));
    expect(answer.not_found).toEqual([theirs._id, unknownId]);
  });

  it('lists a file that is being deleted as not found', async () => {
    // Prepare
    const { service, saveNew, repository } = setup();
    const doomed = await saveNew(orgA, 'doomed.txt');
    await repository.markDeleting(orgA.org, doomed._id);

    // Act
    const answer = await service.getMany(orgA, [doomed._id]);

    // Assess
    expect(answer).toEqual({ results: [], not_found: [doomed._id] });
  });

  it('refuses a malformed id with 400 before reading anything', async () => {
    // Prepare
    const { service } = setup();

    // Act
    const attempt = service.getMany(orgA, [unknownId, '../etc']);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 400 });
  });
});
