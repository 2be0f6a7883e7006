import { describe, expect, it } from 'vitest';
import { orphanReaper } from '../../lambdas/operations';
import { expectRefusal, stageUpload } from './support/requests';
import { useLocalStack } from './support/stack';

/**
 * The whole path on the local stack, as on AWS: a save copies its bytes and then fails for
 * good; the table's TTL removes its intent; the removal reaches the reaper function (with its
 * own IAM policy), which deletes the copy nothing references.
 */
const context = useLocalStack({ sweepIntervalMs: 0, ttlIntervalMs: 0 });
const threeDaysMs = 3 * 24 * 3600 * 1000;

describe('the orphan reaper on the local stack', () => {
  it('deletes the copy of a save that failed after copying, once TTL expires its intent', async () => {
    // Prepare: the save's transaction never commits, and the client does not retry.
    const { api, stack, storage } = context;
    const ticket = await stageUpload(api, { filename: 'orphan.txt', mimeType: 'text/plain', bytes: 'never saved' });
    const uploadId = ticket.s3ref.key.split('/')[2] ?? '';
    stack.faults.inject({ service: 'dynamodb', action: 'TransactWriteItems', function: 'saveFile', mode: 'before' });
    const failed = await api.post('/v2/files', { s3ref: ticket.s3ref });
    stack.faults.clear();
    expectRefusal(failed, 503);
    expect(await storage.keys(`files/org-a/${uploadId}/`)).toHaveLength(1);

    // Act: DynamoDB's TTL runs as of three days on.
    const expired = await stack.expireItems(new Date(Date.now() + threeDaysMs));

    // Assess
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await storage.keys(`files/org-a/${uploadId}/`)).toEqual([]);
    const actions = stack.iam.used(orphanReaper.name).map((use) => use.action);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 's3:DeleteObject']));
    expect(stack.iam.denied().filter((denial) => denial.function === orphanReaper.name)).toEqual([]);
  });

  it('keeps every object a saved file references when TTL expires the items around it', async () => {
    // Prepare
    const { api, stack, storage } = context;
    const ticket = await stageUpload(api, { filename: 'kept.txt', mimeType: 'text/plain', bytes: 'saved' });
    const saved = await api.post<{ _id: string }>('/v2/files', { s3ref: ticket.s3ref });
    expect(saved.status).toBe(201);
    const before = await storage.keys(`files/org-a/${saved.body._id}/`);

    // Act
    await stack.expireItems(new Date(Date.now() + threeDaysMs));

    // Assess
    expect(before).toHaveLength(1);
    expect(await storage.keys(`files/org-a/${saved.body._id}/`)).toEqual(before);
    expect((await api.get(`/v2/files/${saved.body._id}`)).status).toBe(200);
  });
});
