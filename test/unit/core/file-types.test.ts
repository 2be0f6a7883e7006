import { describe, expect, it } from 'vitest';
import { contentMatchesType, fileTypeOf, readableSize, rendersSafelyInline, resolveMimeType } from '../../../lambdas/core/file-types';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => new TextEncoder().encode(text);
/** A whole 1x1 PNG: the sniffer wants the signature and the IHDR chunk that always follows it. */
const png = Uint8Array.from(
  Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
);

describe('fileTypeOf', () => {
  it.each([
    ['application/pdf', 'document'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'document'],
    ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'spreadsheet'],
    ['text/csv', 'spreadsheet'],
    ['application/vnd.openxmlformats-officedocument.presentationml.presentation', 'presentation'],
    ['image/png', 'image'],
    ['video/mp4', 'video'],
    ['audio/mpeg', 'audio'],
    ['text/plain', 'text'],
    ['font/woff2', 'font'],
    ['application/zip', 'archive'],
    ['application/x-foo', 'application'],
    ['weird', 'unknown'],
    ['chemical/x-pdb', 'unknown'],
    ['application/octet-stream', 'unknown'],
  ])('classifies %s as %s', (mimeType, expected) => {
    // Act
    const type = fileTypeOf(mimeType);

    // Assess
    expect(type).toBe(expected);
  });

  it('ignores MIME parameters and letter case', () => {
    // Prepare
    const decorated = ' Text/CSV; charset=UTF-8';

    // Act
    const type = fileTypeOf(decorated);

    // Assess
    expect(type).toBe('spreadsheet');
    expect(fileTypeOf('APPLICATION/PDF;name="a.pdf"')).toBe('document');
  });
});

describe('readableSize', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1234, '1.2 KB'],
    [10_000, '10 KB'],
    [1_500_000, '1.5 MB'],
    [2_000_000_000, '2.0 GB'],
    [42_000_000_000, '42 GB'],
  ])('shows %d bytes as "%s"', (size, expected) => {
    // Act
    const shown = readableSize(size);

    // Assess
    expect(shown).toBe(expected);
  });
});

describe('contentMatchesType', () => {
  const jpeg = bytes(0xff, 0xd8, 0xff, 0xe0, 0, 16);
  const pdf = ascii('%PDF-1.7\n');
  const zip = bytes(0x50, 0x4b, 0x03, 0x04, 20, 0);
  const emptyZip = bytes(0x50, 0x4b, 0x05, 0x06, 0, 0);
  const webp = Uint8Array.from([...ascii('RIFF'), 0x24, 0x08, 0, 0, ...ascii('WEBPVP8 ')]);

  it.each([
    ['image/png', png],
    ['image/jpeg', jpeg],
    ['application/pdf', pdf],
    ['application/zip', zip],
    ['application/zip', emptyZip],
    ['image/webp', webp],
  ])('accepts the %s signature', async (mimeType, head) => {
    // Act
    const matches = await contentMatchesType(mimeType, head);

    // Assess
    expect(matches).toBe(true);
  });

  it.each([
    ['image/png', jpeg],
    ['image/jpeg', png],
    ['application/pdf', ascii('hello world')],
    ['application/zip', pdf],
    ['image/webp', Uint8Array.from([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('WAVE')])],
    ['image/png', new Uint8Array()],
    ['image/png', png.slice(0, 4)],
  ])('refutes %s when the bytes do not carry its signature (case %#)', async (mimeType, head) => {
    // Act
    const matches = await contentMatchesType(mimeType, head);

    // Assess
    expect(matches).toBe(false);
  });

  it('checks the signature whatever the case and parameters of the declared type', async () => {
    // Act
    const refuted = await contentMatchesType('IMAGE/PNG; foo=bar', jpeg);

    // Assess
    expect(refuted).toBe(false);
  });

  it.each(['text/plain', 'application/json', 'text/csv', 'video/mp4'])(
    'cannot refute %s with bytes the sniffer does not recognise',
    async (mimeType) => {
      // Act
      const matches = [await contentMatchesType(mimeType, ascii('{"a": 1}, plain words')), await contentMatchesType(mimeType, new Uint8Array())];

      // Assess
      expect(matches).toEqual([true, true]);
    },
  );

  it.each(['text/plain', 'application/json', 'text/csv', 'video/mp4', 'application/msword'])(
    'refutes %s when the bytes are a PNG, which the sniffer recognises',
    async (mimeType) => {
      // Act
      const matches = await contentMatchesType(mimeType, png);

      // Assess
      expect(matches).toBe(false);
    },
  );

  it.each(['application/octet-stream', 'binary/octet-stream'])('admits any bytes for the generic %s', async (mimeType) => {
    // Act
    const matches = [await contentMatchesType(mimeType, png), await contentMatchesType(mimeType, pdf)];

    // Assess
    expect(matches).toEqual([true, true]);
  });

  it.each([
    ['a docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', zip],
    ['an xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', zip],
    ['an EPUB', 'application/epub+zip', zip],
    ['an SVG with an XML prologue', 'image/svg+xml', ascii('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['a jpeg named image/jpg', 'image/jpg', jpeg],
    ['a gzip named application/x-gzip', 'application/x-gzip', bytes(0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0)],
    ['a calendar declared as plain text', 'text/plain', ascii('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')],
  ])('admits %s: the sniffed format is of the declared family', async (_case, mimeType, head) => {
    // Act
    const matches = await contentMatchesType(mimeType, head);

    // Assess
    expect(matches).toBe(true);
  });

  it.each(['text/plain', 'text/csv', 'application/json'])(
    'admits as %s short text that the sniffer alone would take for a QuickTime movie',
    async (mimeType) => {
      // Act: bytes 4-7 of "org-wide" are QuickTime's `wide` atom.
      const matches = await contentMatchesType(mimeType, ascii('org-wide'));

      // Assess
      expect(matches).toBe(true);
    },
  );

  it.each([
    ['a PDF declared as a docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', pdf],
    ['a zip declared as a GIF', 'image/gif', zip],
    ['a PNG declared as an SVG', 'image/svg+xml', png],
    ['a WAV declared as a WebP', 'image/webp', Uint8Array.from([...ascii('RIFF'), 0, 0, 0, 0, ...ascii('WAVEfmt ')])],
  ])('refutes %s', async (_case, mimeType, head) => {
    // Act
    const matches = await contentMatchesType(mimeType, head);

    // Assess
    expect(matches).toBe(false);
  });
});

describe('resolveMimeType', () => {
  const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 20, 0]);
  const html = new TextEncoder().encode('<!doctype html><script>alert(1)</script>');
  const none = { stored: undefined, declared: undefined };

  it('keeps the type the object was stored with, as a typed upload signed it', async () => {
    // Act
    const type = await resolveMimeType({ stored: 'text/plain; charset=utf-8', declared: 'image/png', filename: 'a.png', head: png });

    // Assess
    expect(type).toBe('text/plain; charset=utf-8');
  });

  it.each(['binary/octet-stream', 'application/octet-stream', 'Application/Octet-Stream; x=y', ''])(
    'treats a stored %j as untyped and takes the type given at save',
    async (stored) => {
      // Act
      const type = await resolveMimeType({ stored, declared: 'text/csv', filename: 'a.bin', head: png });

      // Assess
      expect(type).toBe('text/csv');
    },
  );

  it.each([
    ['the bytes when they carry a signature, whatever the name says', 'photo.txt', png, 'image/png'],
    ['the bytes of a file without extension', 'photo', png, 'image/png'],
    ['the extension when the bytes have no signature', 'notes.md', html, 'text/markdown'],
    ['the extension of text that only looks like a binary signature', 'notes.txt', ascii('org-wide'), 'text/plain'],
    ['the extension of an upper-case name', 'REPORT.CSV', html, 'text/csv'],
    ['the extension that names a zip-based format more precisely', 'letter.docx', zip, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['the bytes of a zip with an unknown extension', 'bundle.qqq', zip, 'application/zip'],
    ['the generic type when the bytes refute the extension', 'fake.png', html, 'application/octet-stream'],
    ['the generic type for an unknown extension', 'data.qqq', html, 'application/octet-stream'],
    ['the generic type for a dot file, which has no extension', '.pdf', html, 'application/octet-stream'],
  ])('types an untyped upload from %s', async (_case, filename, head, expected) => {
    // Act
    const type = await resolveMimeType({ ...none, filename, head });

    // Assess
    expect(type).toBe(expected);
  });
});

describe('rendersSafelyInline', () => {
  it.each(['image/png', 'IMAGE/JPEG', 'image/gif', 'image/webp', 'image/avif', 'application/pdf', 'text/plain; charset=utf-8', 'audio/ogg', 'video/webm'])(
    'lets %s be shown inline',
    (mimeType) => {
      // Act
      const inline = rendersSafelyInline(mimeType);

      // Assess
      expect(inline).toBe(true);
    },
  );

  it.each(['text/html', 'image/svg+xml', 'Image/SVG+XML; charset=utf-8', 'application/xhtml+xml', 'text/xml', 'application/xml', 'text/javascript', 'application/octet-stream', 'text/csv', 'image/x-unknown+xml', 'audio/', 'weird'])(
    'serves %s only as an attachment',
    (mimeType) => {
      // Act
      const inline = rendersSafelyInline(mimeType);

      // Assess
      expect(inline).toBe(false);
    },
  );
});
