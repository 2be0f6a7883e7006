import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { labelledJpeg, makePhoto, previewResults, type PreviewSamples } from '../../../bench/lib/preview';
import { renderPreviews } from '../../../bench/lib/report';

function previews(samples: Partial<PreviewSamples['samples']>, more: Partial<PreviewSamples> = {}): PreviewSamples {
  return {
    samples: {
      jpeg_12mp_300px_uncached: [],
      jpeg_12mp_300px_cached: [],
      pdf_20_pages_first_page_300px_uncached: [],
      not_modified_304: [],
      ...samples,
    },
    errors: {},
    jpegBytes: 5_400_000,
    pdfBytes: 20 * 1024,
    ...more,
  };
}

describe('the preview benchmark', () => {
  it('makes a photo of the asked size with detail across it, not a flat colour', async () => {
    // Act
    const bytes = await makePhoto(400, 300);

    // Assess
    const image = sharp(bytes);
    expect(await image.metadata()).toMatchObject({ format: 'jpeg', width: 400, height: 300 });
    const { channels } = await image.stats();
    for (const channel of channels) {
      expect(channel.stdev).toBeGreaterThan(15);
      expect(channel.max - channel.min).toBeGreaterThan(100);
    }
  });

  it('labels a JPEG with a comment that changes its bytes and not its picture', async () => {
    // Prepare
    const bytes = await makePhoto(64, 48);

    // Act
    const first = labelledJpeg(bytes, 'sample 1');
    const second = labelledJpeg(bytes, 'sample 2');

    // Assess
    expect(first.equals(second)).toBe(false);
    expect(first.length).toBe(bytes.length + 4 + 'sample 1'.length);
    expect(first.subarray(0, 4)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xfe]));
    const [original, labelled] = await Promise.all([sharp(bytes).raw().toBuffer(), sharp(first).raw().toBuffer()]);
    expect(labelled.equals(original)).toBe(true);
  });

  it('refuses to label bytes that are not a JPEG', () => {
    // Act
    const label = () => labelledJpeg(Buffer.from('%PDF-1.7\n'), 'sample');

    // Assess
    expect(label).toThrow(/not a JPEG/);
  });

  it('writes the p50 of each case, null for a case without samples', () => {
    // Prepare
    const samples = previews({
      jpeg_12mp_300px_uncached: [300, 100, 200],
      jpeg_12mp_300px_cached: [10, 30, 20, 40],
    });

    // Act
    const results = previewResults(samples);

    // Assess
    expect(results).toEqual({
      jpeg_12mp_300px_uncached: 200,
      jpeg_12mp_300px_cached: 25,
      pdf_20_pages_first_page_300px_uncached: null,
      not_modified_304: null,
    });
  });

  it('prints every case with its p50 and the ratio of the first request to the kept preview', () => {
    // Prepare
    const samples = previews(
      {
        jpeg_12mp_300px_uncached: [240, 260],
        jpeg_12mp_300px_cached: [20, 20],
        pdf_20_pages_first_page_300px_uncached: [150],
        not_modified_304: [8, 9],
      },
      { pdfColdMs: 900, errors: { pdf: 'preview of x: expected 200 miss, got 422' } },
    );

    // Act
    const text = renderPreviews(previewResults(samples), samples);

    // Assess
    expect(text).toMatch(/jpeg_12mp_300px_uncached +250 +260 +2/);
    expect(text).toMatch(/jpeg_12mp_300px_cached +20\.0 +20\.0 +2/);
    expect(text).toMatch(/pdf_20_pages_first_page_300px_uncached +150 +150 +1/);
    expect(text).toMatch(/not_modified_304 +8\.50 +9\.00 +2/);
    expect(text).toContain('JPEG uncached/cached = 250 / 20.0 = 12.5');
    expect(text).toContain('5.40 MB');
    expect(text).toContain('900 ms');
    expect(text).toContain('pdf: preview of x: expected 200 miss, got 422');
  });
});
