import { describe, expect, it } from 'vitest';
import { uploadFile } from './support/api';
import { openWithoutToken } from './support/public';
import { useLocalStack } from './support/stack';

const burstLimit = 4;
const context = useLocalStack({ sweepIntervalMs: 0, publicThrottle: { rateLimit: 1, burstLimit } });
const text = (content: string) => ({ filename: 'busy.txt', mimeType: 'text/plain', bytes: Buffer.from(content), extra: { access_control: 'public-read' } });

describe('the routes reached without a token are throttled per route, as API Gateway throttles them', () => {
  it('answers 429 {"message":"Too Many Requests"} beyond the burst, leaves other routes alone, and lets requests through again as it refills', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('popular'));
    const link = (await api.post<string>(`/v1/files/${file._id}/public/links`)).body;

    // Act
    const flood = await Promise.all(Array.from({ length: 3 * burstLimit }, () => openWithoutToken(file.public_url as string)));
    const linkMeanwhile = await openWithoutToken(link);
    const ownMeanwhile = await api.get(`/v2/files/${file._id}`);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const afterRefill = await openWithoutToken(file.public_url as string);

    // Assess
    const passed = flood.filter((answer) => answer.status === 302);
    const throttled = flood.filter((answer) => answer.status === 429);
    expect(passed.length).toBeGreaterThanOrEqual(burstLimit);
    expect(passed.length).toBeLessThanOrEqual(burstLimit + 1);
    expect(passed.length + throttled.length).toBe(flood.length);
    for (const answer of throttled) {
      expect(answer).toMatchObject({ body: { message: 'Too Many Requests' }, contentType: 'application/json', location: null });
    }
    expect([linkMeanwhile.status, ownMeanwhile.status, afterRefill.status]).toEqual([302, 200, 302]);
  });
});
