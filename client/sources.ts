import { requireNode, type NodeFs, type NodePath } from './platform';

/** What `uploadFile` uploads: a Blob or File, bytes, or (Node) a file on disk. */
export type UploadSource = Blob | Uint8Array | ArrayBuffer | { path: string };

/** A source as the upload reads it: its size, a name, and any byte range. */
export interface SourceReader {
  name: string | undefined;
  type: string | undefined;
  size: number;
  /** What identifies this content across runs (with the size), for resuming. */
  identity: string;
  /** Bytes [start, end): a Blob (sent without copying) or bytes. */
  slice(start: number, end: number): Promise<Blob | Uint8Array>;
  close(): Promise<void>;
}

function isBlob(source: unknown): source is Blob {
  return typeof Blob !== 'undefined' && source instanceof Blob;
}

export async function openSource(source: UploadSource): Promise<SourceReader> {
  if (isBlob(source)) {
    const file = source as Blob & { name?: unknown; lastModified?: unknown };
    const name = typeof file.name === 'string' ? file.name : undefined;
    const lastModified = typeof file.lastModified === 'number' ? file.lastModified : undefined;
    return {
      name,
      type: source.type || undefined,
      size: source.size,
      identity: lastModified !== undefined ? `file:${name ?? ''}:${lastModified}` : `blob:${await sampleHash(source, source.size)}`,
      slice: async (start, end) => source.slice(start, end),
      close: async () => undefined,
    };
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    return {
      name: undefined,
      type: undefined,
      size: bytes.byteLength,
      identity: `bytes:${await sampleHash(bytes, bytes.byteLength)}`,
      slice: async (start, end) => bytes.subarray(start, end),
      close: async () => undefined,
    };
  }
  if (typeof source === 'object' && source !== null && typeof (source as { path?: unknown }).path === 'string') {
    return openPath(source.path);
  }
  throw new TypeError('uploadFile takes a Blob, a File, a Uint8Array, an ArrayBuffer or { path }');
}

async function openPath(path: string): Promise<SourceReader> {
  const fs = requireNode<NodeFs>('node:fs/promises');
  const paths = requireNode<NodePath>('node:path');
  const absolute = paths.resolve(path);
  const stat = await fs.stat(absolute);
  if (!stat.isFile()) throw new TypeError(`${path} is not a file`);
  const handle = await fs.open(absolute, 'r');
  return {
    name: paths.basename(absolute),
    type: undefined,
    size: stat.size,
    identity: `path:${absolute}:${Math.trunc(stat.mtimeMs)}`,
    async slice(start, end) {
      const buffer = new Uint8Array(end - start);
      let filled = 0;
      while (filled < buffer.byteLength) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, start + filled);
        if (bytesRead === 0) throw new Error(`${path} became shorter while it was uploaded`);
        filled += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}

/**
 * A quick hash of up to 64 KiB at each end and in the middle (FNV-1a, 32 bits): enough to
 * tell two contents of the same size apart for resuming, without reading all of a big file.
 */
async function sampleHash(source: Blob | Uint8Array, size: number): Promise<string> {
  const window = 64 * 1024;
  const ranges: Array<[number, number]> = size <= 3 * window
    ? [[0, size]]
    : [[0, window], [Math.floor(size / 2) - window / 2, Math.floor(size / 2) + window / 2], [size - window, size]];
  let hash = 0x811c9dc5;
  for (const [start, end] of ranges) {
    const bytes = isBlob(source) ? new Uint8Array(await source.slice(start, end).arrayBuffer()) : source.subarray(start, end);
    for (const byte of bytes) {
      hash ^= byte;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
  }
  return hash.toString(16).padStart(8, '0');
}
