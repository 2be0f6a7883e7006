import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { closePdfRenderer, PdfRenderError, renderPdfFirstPage, type PdfRenderOptions } from '../../../lambdas/adapters/pdf-render';
import { encryptPdf, makeHeavyPdf, makePdf, pageColour } from '../../support/pdf';

const box: PdfRenderOptions = { maxWidth: 300, maxHeight: 300, timeoutMs: 10_000 };

/** The RGB of the pixel at (x, y) of a PNG, and the PNG's own size as sharp reads it. */
async function pixels(png: Buffer): Promise<{ width: number; height: number; channels: number; at: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => {
    const offset = (Math.floor(y) * info.width + Math.floor(x)) * info.channels;
    return [...data.subarray(offset, offset + 3)];
  };
  return { width: info.width, height: info.height, channels: info.channels, at };
}

/** Each channel within `tolerance` of the expected one (PNG is lossless; anti-aliasing is not at the centre). */
function expectColour(actual: number[], expected: { r: number; g: number; b: number }, tolerance = 3): void {
  expect(actual).toHaveLength(3);
  [expected.r, expected.g, expected.b].forEach((channel, index) => expect(Math.abs((actual[index] ?? -1) - channel)).toBeLessThanOrEqual(tolerance));
}

const white = { r: 255, g: 255, b: 255 };

async function refusal(promise: Promise<unknown>): Promise<PdfRenderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PdfRenderError);
  return error as PdfRenderError;
}

afterAll(async () => {
  await closePdfRenderer();
});

describe('renderPdfFirstPage', () => {
  it('scales a Letter page to fit the box, aspect kept, and answers the PNG with its size', async () => {
    // Prepare
    const pdf = await makePdf({ pages: 1 });

    // Act
    const page = await renderPdfFirstPage(pdf, box);

    // Assess: 612 × 792 pt scaled by 300/792.
    const decoded = await pixels(page.png);
    expect(page.png.subarray(1, 4).toString()).toBe('PNG');
    expect({ width: page.width, height: page.height }).toEqual({ width: 232, height: 300 });
    expect({ width: decoded.width, height: decoded.height }).toEqual({ width: 232, height: 300 });
  });

  it('fits a landscape page to the width of the box', async () => {
    // Prepare
    const pdf = await makePdf({ pages: 1, width: 842, height: 595 });

    // Act
    const page = await renderPdfFirstPage(pdf, { ...box, maxWidth: 400, maxHeight: 400 });

    // Assess: 842 × 595 pt scaled by 400/842.
    expect({ width: page.width, height: page.height }).toEqual({ width: 400, height: 283 });
  });

  it('draws the page on opaque white: the drawn colour in the middle, white in the margins', async () => {
    // Prepare
    const pdf = await makePdf({ pages: 1 });

    // Act
    const page = await renderPdfFirstPage(pdf, box);

    // Assess
    const decoded = await pixels(page.png);
    expect(decoded.channels).toBe(3);
    expectColour(decoded.at(decoded.width / 2, decoded.height / 2), pageColour);
    expectColour(decoded.at(2, 2), white);
    expectColour(decoded.at(decoded.width - 3, decoded.height - 3), white);
  });

  it('renders the first page of a PDF, not a later one', async () => {
    // Prepare: a portrait first page followed by 19 landscape pages.
    const document = await PDFDocument.create();
    const [first] = await document.copyPages(await PDFDocument.load(await makePdf({ pages: 1, width: 300, height: 600 })), [0]);
    const rest = await PDFDocument.load(await makePdf({ pages: 19, width: 600, height: 300 }));
    document.addPage(first);
    for (const page of await document.copyPages(rest, rest.getPageIndices())) document.addPage(page);
    const pdf = await document.save();

    // Act
    const page = await renderPdfFirstPage(pdf, box);

    // Assess
    expect(document.getPageCount()).toBe(20);
    expect({ width: page.width, height: page.height }).toEqual({ width: 150, height: 300 });
  });

  it('scales a page smaller than the box up to fit it', async () => {
    // Prepare: 100 × 50 pt.
    const pdf = await makePdf({ pages: 1, width: 100, height: 50 });

    // Act
    const page = await renderPdfFirstPage(pdf, box);

    // Assess
    expect({ width: page.width, height: page.height }).toEqual({ width: 300, height: 150 });
  });

  it('renders a page with a 14,400 pt MediaBox small, at the scale that fits, in well under its budget', async () => {
    // Prepare: 200 inches square, about 400 million pixels at 100 %.
    const pdf = await makePdf({ pages: 1, width: 14_400, height: 14_400 });
    const started = performance.now();

    // Act
    const page = await renderPdfFirstPage(pdf, { ...box, maxHeight: 200, timeoutMs: 5_000 });

    // Assess
    const decoded = await pixels(page.png);
    expect({ width: page.width, height: page.height }).toEqual({ width: 200, height: 200 });
    expectColour(decoded.at(100, 100), pageColour);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses with too-large when the raster at the fitting scale would exceed maxPixels', async () => {
    // Prepare: a 4000 × 4000 box holds 16 million pixels.
    const pdf = await makePdf({ pages: 1, width: 1_000, height: 1_000 });

    // Act
    const error = await refusal(renderPdfFirstPage(pdf, { ...box, maxWidth: 4_000, maxHeight: 4_000, maxPixels: 1_000_000 }));

    // Assess
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/16000000 pixels, more than 1000000/);
  });

  it('refuses with too-large a render that grows the process by more than maxMemoryBytes, stopping it, and renders the next PDF', async () => {
    // Prepare: a 3091 × 4000 raster needs 37 MB; the limit allows 16 MiB more than is used now.
    const pdf = await makePdf({ pages: 1 });
    const large = { ...box, maxWidth: 4_000, maxHeight: 4_000 };
    const maxMemoryBytes = 16 * 1024 ** 2;

    // Act
    const error = await refusal(renderPdfFirstPage(pdf, { ...large, maxMemoryBytes }));
    const next = await renderPdfFirstPage(pdf, box);

    // Assess
    expect(error.reason).toBe('too-large');
    expect(error.message).toMatch(/^Rendering the PDF took \d+ MiB more memory, more than 16 MiB$/);
    expect(next.width).toBe(232);
  });

  it('renders the same large page when no memory limit is set', async () => {
    // Prepare
    const pdf = await makePdf({ pages: 1 });

    // Act
    const page = await renderPdfFirstPage(pdf, { ...box, maxWidth: 4_000, maxHeight: 4_000 });

    // Assess
    expect({ width: page.width, height: page.height }).toEqual({ width: 3091, height: 4000 });
  });

  it.each([
    ['text', Buffer.from('This is a plain text file, not a PDF.\n'.repeat(20))],
    ['no bytes', new Uint8Array(0)],
    ['random bytes', Uint8Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251)],
  ])('refuses %s as unreadable', async (_name, bytes) => {
    // Act
    const error = await refusal(renderPdfFirstPage(bytes, box));

    // Assess
    expect(error.reason).toBe('unreadable');
  });

  it('refuses a password-protected PDF as encrypted', async () => {
    // Prepare
    const pdf = await encryptPdf(await makePdf({ pages: 1 }), 'secret');

    // Act
    const error = await refusal(renderPdfFirstPage(pdf, box));

    // Assess
    expect(error.reason).toBe('encrypted');
  });

  it('refuses with timeout when 1 ms is not enough, and renders the next PDF', async () => {
    // Prepare: a page that takes about a second; a light one renders in ~10 ms when warm,
    // which a busy event loop can take for 1 ms.
    const pdf = await makeHeavyPdf(200_000);
    const light = await makePdf({ pages: 20 });

    // Act
    const error = await refusal(renderPdfFirstPage(pdf, { ...box, timeoutMs: 1 }));
    const next = await renderPdfFirstPage(light, box);

    // Assess
    expect(error.reason).toBe('timeout');
    expect(next.height).toBe(300);
  });

  it('stops a page that renders for seconds when its budget runs out, and renders the next PDF', async () => {
    // Prepare: about 2 s of drawing; the budget is a tenth of a second.
    const heavy = await makeHeavyPdf(400_000);
    const light = await makePdf({ pages: 1 });
    const started = performance.now();

    // Act
    const error = await refusal(renderPdfFirstPage(heavy, { ...box, timeoutMs: 100 }));
    const elapsed = performance.now() - started;
    const next = await renderPdfFirstPage(light, box);

    // Assess
    expect(error.reason).toBe('timeout');
    expect(elapsed).toBeLessThan(1_000);
    expect(next.width).toBe(232);
  });

  it('serves calls made together one after another, each with its own answer', async () => {
    // Prepare
    const portrait = await makePdf({ pages: 1, width: 300, height: 600 });
    const landscape = await makePdf({ pages: 1, width: 600, height: 300 });

    // Act
    const [first, second, third] = await Promise.allSettled([
      renderPdfFirstPage(portrait, box),
      renderPdfFirstPage(Buffer.from('not a PDF'), box),
      renderPdfFirstPage(landscape, box),
    ]);

    // Assess
    expect(first.status === 'fulfilled' && [first.value.width, first.value.height]).toEqual([150, 300]);
    expect(second.status === 'rejected' && (second.reason as PdfRenderError).reason).toBe('unreadable');
    expect(third.status === 'fulfilled' && [third.value.width, third.value.height]).toEqual([300, 150]);
  });

  it('counts time spent waiting behind another render against the budget', async () => {
    // Prepare
    const heavy = await makeHeavyPdf(400_000);
    const light = await makePdf({ pages: 1 });

    // Act: the light page waits behind the heavy one, which takes longer than its budget.
    const [first, second] = await Promise.allSettled([
      renderPdfFirstPage(heavy, { ...box, timeoutMs: 300 }),
      renderPdfFirstPage(light, { ...box, timeoutMs: 200 }),
    ]);

    // Assess
    expect(first.status === 'rejected' && (first.reason as PdfRenderError).reason).toBe('timeout');
    expect(second.status === 'rejected' && (second.reason as PdfRenderError).reason).toBe('timeout');
  });

  it.each([
    ['maxWidth', { maxWidth: 0 }],
    ['maxHeight', { maxHeight: Number.NaN }],
    ['timeoutMs', { timeoutMs: -1 }],
    ['maxPixels', { maxPixels: 0 }],
    ['maxMemoryBytes', { maxMemoryBytes: Number.POSITIVE_INFINITY }],
  ])('refuses a %s that is not a positive number as a programming error', async (name, override) => {
    // Prepare
    const pdf = await makePdf({ pages: 1 });

    // Act
    const render = () => renderPdfFirstPage(pdf, { ...box, ...override });

    // Assess
    expect(render).toThrow(RangeError);
    expect(render).toThrow(new RegExp(`^${name} must be a positive number`));
  });
});
