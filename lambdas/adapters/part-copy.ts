/**
 * How a big object is copied in parts. S3's rules: every part but the last at least 5 MiB,
 * none above 5 GiB, at most 10,000 parts. S3 copies each part on its own, so a copy takes
 * about as long as its slowest round of parts: the parts are sized so that an object up to
 * `partCopyConcurrency` × 5 GiB (80 GiB) is copied in one round.
 */

const MiB = 1024 ** 2;
const minPartBytes = 5 * MiB;
const maxPartBytes = 5 * 1024 ** 3;
const maxParts = 10_000;

/** The smallest threshold: a smaller object would be one part below S3's minimum size anyway. */
export const minCopyPartThresholdBytes = minPartBytes;

/** Below it, one CopyObject copies in a few seconds; at and above it, parts in parallel do. */
export const defaultCopyPartThresholdBytes = 256 * MiB;

/** Parts copied at once. */
export const partCopyConcurrency = 16;

export interface CopyPart {
  /** 1-based, as S3 numbers parts. */
  number: number;
  /** First and last byte of the part's range, inclusive (`x-amz-copy-source-range`). */
  first: number;
  last: number;
}

/** The parts that copy an object of `size` bytes (at least 1), in order. */
export function copyParts(size: number): CopyPart[] {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`Cannot copy ${size} bytes in parts`);
  const wholeMiB = (bytes: number) => Math.ceil(bytes / MiB) * MiB;
  const partSize = Math.min(
    maxPartBytes,
    Math.max(minPartBytes, wholeMiB(size / partCopyConcurrency), wholeMiB(size / maxParts)),
  );
  const parts: CopyPart[] = [];
  for (let first = 0; first < size; first += partSize) {
    parts.push({ number: parts.length + 1, first, last: Math.min(size, first + partSize) - 1 });
  }
  if (parts.length > maxParts) throw new RangeError(`${size} bytes need more than ${maxParts} parts of at most 5 GiB`);
  return parts;
}
