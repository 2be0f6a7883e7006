import { PDFDocument, PDFName, rgb, StandardFonts } from 'pdf-lib';

/** The fill of the rectangle on every page made by makePdf, as 8-bit RGB. */
export const pageColour = { r: 230, g: 25, b: 25 } as const;

export interface MakePdfOptions {
  pages: number;
  /** Page size in points (1/72 inch). @default 612 × 792 (US Letter) */
  width?: number;
  height?: number;
  /** Written on each page, after its number. @default 'Page' */
  text?: string;
}

/**
 * A PDF made with pdf-lib: each page white, with a rectangle of `pageColour` inset by a tenth
 * of the page on every side and a line of black text in it, so a render is checkably not
 * blank: the centre shows the colour, the corners stay white.
 */
export async function makePdf({ pages, width = 612, height = 792, text = 'Page' }: MakePdfOptions): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const font = await document.embedFont(StandardFonts.Helvetica);
  const fill = rgb(pageColour.r / 255, pageColour.g / 255, pageColour.b / 255);
  const size = Math.min(width, height) / 20;
  for (let number = 1; number <= pages; number += 1) {
    const page = document.addPage([width, height]);
    page.drawRectangle({ x: width / 10, y: height / 10, width: (width * 8) / 10, height: (height * 8) / 10, color: fill });
    page.drawText(`${text} ${number}`, { x: width / 5, y: (height * 4) / 5, size, font, color: rgb(0, 0, 0) });
  }
  return document.save();
}

/**
 * A one-page PDF (612 × 792 pt) whose content is `rectangles` small filled rectangles: slow
 * to render (about 1 s per 200,000 here), quick to make, for time budgets.
 */
export async function makeHeavyPdf(rectangles: number): Promise<Uint8Array> {
  const document = await PDFDocument.create();
  const page = document.addPage([612, 792]);
  const operators: string[] = [];
  for (let i = 0; i < rectangles; i += 1) operators.push(`${(i * 7) % 600} ${(i * 13) % 780} ${1 + (i % 11)} ${1 + (i % 5)} re f`);
  const contents = document.context.stream(operators.join('\n'));
  page.node.set(PDFName.of('Contents'), document.context.register(contents));
  return document.save();
}

/** The PDF re-saved by MuPDF, encrypted with AES-256 and opened only with `userPassword`. */
export async function encryptPdf(bytes: Uint8Array, userPassword: string): Promise<Uint8Array> {
  const mupdf = await import('mupdf');
  const document = mupdf.Document.openDocument(bytes, 'application/pdf');
  try {
    const pdf = document.asPDF();
    if (!pdf) throw new Error('Not a PDF');
    const saved = pdf.saveToBuffer(`encrypt=aes-256,user-password=${userPassword},owner-password=${userPassword}-owner`);
    return saved.asUint8Array().slice();
  } finally {
    document.destroy();
  }
}
