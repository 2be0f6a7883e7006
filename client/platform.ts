/**
 * The few platform facilities the client needs, found at run time so that the module has no
 * imports a browser bundle could trip on: Node's built-ins come from
 * `process.getBuiltinModule` (Node 20.16+), the browser's from `globalThis`.
 */

/** What the client uses of `node:fs/promises`. */
export interface NodeFs {
  open(path: string, flags: 'r'): Promise<{
    read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
    close(): Promise<void>;
  }>;
  stat(path: string): Promise<{ size: number; mtimeMs: number; isFile(): boolean }>;
}

/** What the client uses of `node:path`. */
export interface NodePath {
  resolve(path: string): string;
  basename(path: string): string;
}

interface NodeRequest {
  on(event: 'response', listener: (response: NodeResponse) => void): NodeRequest;
  on(event: 'error', listener: (error: Error) => void): NodeRequest;
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
  end(): void;
  destroy(error?: Error): void;
}

interface NodeResponse {
  statusCode?: number;
  headers: Record<string, string | string[] | undefined>;
  on(event: 'data', listener: (chunk: Uint8Array) => void): NodeResponse;
  on(event: 'end', listener: () => void): NodeResponse;
  on(event: 'error', listener: (error: Error) => void): NodeResponse;
}

/** What the client uses of `node:http` and `node:https`. */
export interface NodeHttp {
  request(url: string | URL, options: { method: string; headers: Record<string, string> }): NodeRequest;
}

type BuiltinLoader = (id: string) => unknown;

function builtinLoader(): BuiltinLoader | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader; versions?: { node?: string } } }).process;
  return process?.versions?.node ? process.getBuiltinModule : undefined;
}

/** A Node built-in, or undefined in a browser (and on Node before 20.16). */
export function nodeBuiltin<T>(id: 'node:fs/promises' | 'node:path' | 'node:http' | 'node:https'): T | undefined {
  const load = builtinLoader();
  return load ? (load.call((globalThis as { process?: unknown }).process, id) as T) : undefined;
}

/** Node's built-in, or an error that says why a `{path}` cannot be read here. */
export function requireNode<T>(id: 'node:fs/promises' | 'node:path'): T {
  const module = nodeBuiltin<T>(id);
  if (!module) throw new TypeError('A { path } source needs Node.js 20.16 or later; in a browser pass a Blob or File');
  return module;
}

/** What the client uses of the browser's XMLHttpRequest. */
export interface Xhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: unknown): void;
  abort(): void;
  getResponseHeader(name: string): string | null;
  readonly status: number;
  readonly responseText: string;
  upload: { onprogress: ((event: { loaded: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
}

export function xhrConstructor(): (new () => Xhr) | undefined {
  return (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;
}

/** What the client uses of Web Storage. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function browserLocalStorage(): KeyValueStorage | undefined {
  try {
    return (globalThis as { localStorage?: KeyValueStorage }).localStorage;
  } catch {
    return undefined; // storage denied (sandboxed frame, privacy settings)
  }
}
