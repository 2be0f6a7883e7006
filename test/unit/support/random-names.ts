/**
 * Deterministic random filenames for property tests: the same seed gives the same names on
 * every machine, so a failure can be replayed. Names mix the characters that make key
 * sanitising hard with code points from the whole Unicode range.
 */

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tricky: readonly string[] = [
  '.', '.', '..', ' ', ' ', '\t', '\n', '\r', '\u00a0', '\u2000', '\u3000', '\u1680', '\u2028',
  '\u0000', '\u0007', '\u001f', '\u007f', '\u0085', '\u009f',
  '\u200b', '\u200d', '\u200e', '\u202e', '\u2066', '\ufeff',
  '/', '\\', '<', '>', ':', '"', '|', '?', '*', '#', '%', '{', '}', '^', '~', '[', ']', '`',
  '\ud800', '\udbff', '\udc00', '\udfff', '😀', '\u{10ffff}', '\u{1d160}',
  // Combining marks, and characters that NFC composes with, decomposes or maps elsewhere.
  'e', 'A', '\u0301', '\u0308', '\u0338', '\u0958', '\u037e', '\u1fef', '\u212b', '\u2126', '\u1100', '\u1161', '\u11a8',
  'pdf', 'txt', 'report', 'März', '報告',
];

/** One random code point anywhere in Unicode, surrogate halves included (then lone). */
function anyCodePoint(random: () => number): string {
  const plane = random() < 0.7 ? 0 : Math.floor(random() * 17);
  const codePoint = plane * 0x10000 + Math.floor(random() * 0x10000);
  return codePoint >= 0xd800 && codePoint <= 0xdfff ? String.fromCharCode(codePoint) : String.fromCodePoint(codePoint);
}

/** A name of 0 to ~600 pieces; one in ten is long enough to be cut. */
export function randomName(random: () => number): string {
  const length = random() < 0.1 ? 150 + Math.floor(random() * 450) : Math.floor(random() * 24);
  let name = '';
  for (let index = 0; index < length; index += 1) {
    name += random() < 0.6 ? (tricky[Math.floor(random() * tricky.length)] ?? '') : anyCodePoint(random);
  }
  return random() < 0.5 ? `${name}.${tricky[Math.floor(random() * tricky.length)] ?? ''}` : name;
}

export function randomNames(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => randomName(random));
}
