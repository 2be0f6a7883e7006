import { describe, expect, it } from 'vitest';
import { uploadFile } from './support/api';
import type { ApiResponse, Entity, Ticket } from './support/api';
import { stageUpload } from './support/requests';
import { withRetries } from './support/retry';
import { useLocalStack } from './support/stack';
import { expectWholeFile } from './support/versions';

const context = useLocalStack();

/** Staged uploads whose bytes say which one they are: `version <index>`. */
async function uploads(count: number): Promise<Array<Ticket['s3ref']>> {
  return Promise.all(
    Array.from({ length: count }, async (_unused, index) => {
      const ticket = await stageUpload(context.api, { filename: `v${index}.txt`, mimeType: 'text/plain', bytes: `version ${index}` });
      return ticket.s3ref;
    }),
  );
}

/** Saves a new version as a client should: sending it again on 409 or 503. */
async function saveVersion(id: string, s3ref: Ticket['s3ref']): Promise<ApiResponse<Entity>> {
  return (await withRetries(() => context.api.post<Entity>('/v2/files', { _id: id, s3ref }))).response;
}

describe('concurrent writes to one file', () => {
  it('keeps all of 50 versions saved at once, each with its own bytes, numbered 1 to 51 without a gap', { timeout: 150_000 }, async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'base.txt', mimeType: 'text/plain', bytes: Buffer.from('base') });
    const refs = await uploads(50);

    // Act
    const saves = await Promise.all(refs.map((s3ref) => saveVersion(file._id, s3ref)));

    // Assess
    expect(saves.filter((save) => save.status !== 200).map((save) => [save.status, save.body])).toEqual([]);
    const texts = (await expectWholeFile(context.api, context.storage, 'org-a', file._id)).map(String);
    expect(texts).toHaveLength(51);
    expect(texts.at(-1)).toBe('base');
    expect(texts.slice(0, -1).sort()).toEqual(Array.from({ length: 50 }, (_unused, index) => `version ${index}`).sort());
    const stored = (await context.api.get<Entity>(`/v2/files/${file._id}`)).body;
    expect(stored.type).toBe('text');
  });
});

const savesPerRound = 12;

/** When, in a round, the delete is sent. */
type DeleteMoment = 'with the saves' | 'after the first save answered' | 'after half the saves answered' | 'once the file is hidden';

interface Answer {
  status: number;
  body: unknown;
  /** Sent before the delete and answered after it was sent: it was in flight during the delete. */
  overlapped: boolean;
  answeredBeforeDelete: boolean;
}

/**
 * One file, `count` staged versions, and a delete sent at `moment` while the saves run.
 * "Once the file is hidden" sends the delete, waits until getFile no longer finds the file,
 * and only then sends the saves.
 */
async function raceDeleteWithSaves(moment: DeleteMoment, count = savesPerRound): Promise<{ id: string; deleted: ApiResponse; answers: Answer[] }> {
  const file = await uploadFile(context.api, { filename: 'base.txt', mimeType: 'text/plain', bytes: Buffer.from('base') });
  const refs = await uploads(count);
  let deleteSentAt = Number.POSITIVE_INFINITY;
  let deletion: Promise<ApiResponse> | undefined;
  /** Sends the delete the first time it is called; every call returns its answer. */
  const sendDelete = (): Promise<ApiResponse> => {
    if (!deletion) {
      deleteSentAt = performance.now();
      deletion = withRetries(() => context.api.delete(`/v2/files/${file._id}`)).then((retried) => retried.response);
    }
    return deletion;
  };
  const threshold = { 'with the saves': 0, 'after the first save answered': 1, 'after half the saves answered': count / 2, 'once the file is hidden': 0 }[moment];

  if (moment === 'once the file is hidden') {
    void sendDelete();
    while ((await context.api.get(`/v2/files/${file._id}`)).status !== 404) await new Promise((resolve) => setTimeout(resolve, 2));
  }
  let answered = 0;
  const answers = Promise.all(
    refs.map(async (s3ref): Promise<Answer> => {
      const sentAt = performance.now();
      const response = await saveVersion(file._id, s3ref);
      const answeredAt = performance.now();
      answered += 1;
      if (answered === threshold) void sendDelete();
      return {
        status: response.status,
        body: response.body,
        overlapped: sentAt < deleteSentAt && answeredAt > deleteSentAt,
        answeredBeforeDelete: answeredAt < deleteSentAt,
      };
    }),
  );
  if (moment === 'with the saves') setTimeout(() => void sendDelete(), 5);
  const settled = await answers;
  return { id: file._id, deleted: await sendDelete(), answers: settled };
}

describe('a delete racing saves to the same file', () => {
  it(
    'always wins: the file ends gone with no object or item left, saves that committed first answer 200 and the rest 404',
    { timeout: 180_000 },
    async () => {
      // Prepare
      const moments: DeleteMoment[] = ['with the saves', 'after the first save answered', 'after half the saves answered', 'once the file is hidden'];
      const rounds: Array<{ moment: DeleteMoment; answers: Answer[] }> = [];

      for (const moment of moments) {
        // Act
        const { id, deleted, answers } = await raceDeleteWithSaves(moment);
        rounds.push({ moment, answers });

        // Assess: the delete of an existing file is never refused, and nothing of the file survives it.
        expect({ moment, status: deleted.status }).toEqual({ moment, status: 200 });
        for (const answer of answers) {
          if (answer.status === 404) expect(answer.body).toEqual({ status: 404, error: expect.stringMatching(/\S/) });
          else expect({ moment, status: answer.status }).toEqual({ moment, status: 200 });
        }
        expect((await context.api.get(`/v2/files/${id}`)).status).toBe(404);
        expect(await context.storage.keys(`files/org-a/${id}/`)).toEqual([]);
        expect((await context.storage.documents()).filter((item) => item.pk === `FILE#org-a#${id}`)).toEqual([]);
      }

      // Assess: both sides of the race happened. A save that answered before the delete was sent
      // committed a version the delete then removed; a save sent once the file was hidden is a 404;
      // and saves in flight while the delete ran lost to it.
      const byMoment = (moment: DeleteMoment) => rounds.find((round) => round.moment === moment)?.answers ?? [];
      expect(byMoment('after the first save answered').filter((answer) => answer.answeredBeforeDelete && answer.status === 200).length).toBeGreaterThanOrEqual(1);
      expect(byMoment('after half the saves answered').filter((answer) => answer.answeredBeforeDelete && answer.status === 200).length).toBeGreaterThanOrEqual(savesPerRound / 2);
      expect(byMoment('once the file is hidden').map((answer) => answer.status)).toEqual(Array.from({ length: savesPerRound }, () => 404));
      expect(rounds.flatMap((round) => round.answers).filter((answer) => answer.overlapped && answer.status === 404).length).toBeGreaterThanOrEqual(1);
    },
  );
});
