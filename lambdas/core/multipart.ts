import { BadRequestError } from './errors';
import type { UploadedPart } from './ports';

/**
 * S3's rules for multipart uploads (Amazon S3 multipart upload limits): parts of 5 MiB to
 * 5 GiB, the last one smaller if need be, numbered 1 to 10,000; objects up to 5 TiB. A single
 * PUT or POST takes at most 5 GiB.
 */
export const minPartBytes = 5 * 1024 ** 2;
export const maxPartBytes = 5 * 1024 ** 3;
export const maxParts = 10_000;
export const maxSinglePutBytes = 5 * 1024 ** 3;
export const maxMultipartBytes = 5 * 1024 ** 4;
/** How many part URLs one request may ask for: their answer stays far inside Lambda's 6 MB. */
export const maxPartUrlsPerRequest = 1000;

/** Parts below this would need more round trips than they save on a retry. */
const preferredPartBytes = 8 * 1024 ** 2;
const MiB = 1024 ** 2;

/**
 * The part size a client is told to use: 8 MiB, or more when the file (or, undeclared, the
 * largest file allowed) would need more than 10,000 parts of it; always whole MiB.
 */
export function partSizeFor(size: number): number {
  const needed = Math.ceil(size / maxParts / MiB) * MiB;
  return Math.min(maxPartBytes, Math.max(preferredPartBytes, needed));
}

/**
 * The parts a save completes an upload from: all of them, numbered 1 to N with none missing,
 * every part but the last at least 5 MiB, and as many bytes as were declared. Anything else
 * would make an object S3 refuses or one with bytes missing: a 400 that says which part.
 */
export function partsToComplete(parts: readonly UploadedPart[], declaredSize: number | undefined): { parts: UploadedPart[]; size: number } {
  if (parts.length === 0) throw new BadRequestError('No part has been uploaded yet: PUT the parts to their URLs, then save');
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  sorted.forEach((part, index) => {
    if (part.partNumber !== index + 1) throw new BadRequestError(`Part ${index + 1} is missing: upload it, then save again`);
    if (index < sorted.length - 1 && part.size < minPartBytes) {
      throw new BadRequestError(`Part ${part.partNumber} has ${part.size} bytes; every part but the last needs at least ${minPartBytes}`);
    }
  });
  const size = sorted.reduce((total, part) => total + part.size, 0);
  if (declaredSize !== undefined && size !== declaredSize) {
    throw new BadRequestError(`The parts hold ${size} bytes but the upload declared ${declaredSize}: upload the missing parts, then save again`);
  }
  return { parts: sorted, size };
}
