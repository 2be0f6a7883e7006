import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { previewExpirationDays, previewsPrefix, tempPrefix } from '../../lambdas/core/keys';
import type { Faults } from '../faults';
import { LocalIam, type Principal } from '../iam/principals';
import { checksumAnswerHeaders, declaredChecksum, dropStoredChecksum, putThroughStaging } from './checksum';
import { bucketArn, deleteObjectsBody, deleteObjectsKeys, describeS3Request, escapeXml, objectArn } from './actions';
import { isPostObject, rebuiltForm, receivePostObject } from './post-object';
import { verifyPostPolicy } from './post-policy';
import { verifySigV4, type SigV4Failure } from './sigv4';
import { sweepExpired } from './sweeper';
import { MultipartUploads, multipartOperations, type Reply } from './multipart';

export interface LocalS3Options {
  /** 0 or undefined picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
  /** Where the bytes live; undefined means a fresh temp dir that stop() removes. */
  directory?: string;
  /** The administrator's credentials: allowed everything (the sweeper and tests use them). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Who else may sign requests and what each may do; the administrator alone when undefined. */
  iam?: LocalIam;
  /** Faults to inject into calls, for crash tests. */
  faults?: Faults;
  region: string;
  /** Created on start when missing. */
  buckets: string[];
  /** Defaults to ['*']: browsers PUT/GET/HEAD/POST straight to presigned URLs and forms. */
  corsOrigins?: string[];
  /**
   * The temp/ lifecycle rule's `Expiration: { Days }` (default 1, like the CDK prop
   * `tempExpiration`): objects expire at creation + days, rounded up to midnight UTC.
   */
  tempExpirationDays?: number;
  /** The AbortIncompleteMultipartUpload rule's `DaysAfterInitiation` (default 1, as the stack's). */
  abortIncompleteUploadDays?: number;
  /** Where parts of unfinished multipart uploads wait; undefined means a temp dir that stop() removes. */
  multipartDirectory?: string;
  /** Defaults to 60s; 0 disables the timer (tests call sweep() directly). */
  sweepIntervalMs?: number;
  log?: (line: string) => void;
}

export interface LocalS3 {
  /** e.g. http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /**
   * Applies the temp/ lifecycle rule once, as of `at` (default now: tests pass a later time
   * instead of waiting days); resolves to the number of objects deleted.
   */
  sweep(at?: Date): Promise<number>;
  /**
   * Applies the abort-incomplete-multipart-upload rule once, as of `at` (default now);
   * resolves to the number of uploads aborted.
   */
  abortIncompleteUploads(at?: Date): Promise<number>;
  stop(): Promise<void>;
}

/** Just the part of s3rver (CommonJS, untyped) that is used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  httpServer?: http.Server;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
interface S3rverFilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
}
type S3rverFilesystemStoreConstructor = new (root: string) => S3rverFilesystemStore;
interface S3rverAccounts {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

const require = createRequire(import.meta.url);
const CORS_METHODS = ['PUT', 'GET', 'HEAD', 'POST', 'DELETE'];

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const origins = options.corsOrigins ?? ['*'];
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'local-s3-')));
  const iam = options.iam ?? new LocalIam(options.credentials, []);
  // Files posted through forms wait here until their policy's size range is known to hold.
  // Made on the first POST, so a stack that is killed before any leaves no directory behind.
  let spool: Promise<string> | undefined;
  const spoolDirectory = () => (spool ??= mkdtemp(join(tmpdir(), 'local-s3-post-')));
  const removeSpool = async () => {
    if (spool) await rm(await spool, { recursive: true, force: true });
  };

  // s3rver accepts any V4 signature but rejects access keys it does not know, so it must
  // know ours; the real check happens in the front below.
  const accounts = require('s3rver/lib/models/account') as S3rverAccounts;
  for (const { credentials } of iam.principals()) {
    accounts.DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
  }
  const S3rver = require('s3rver') as S3rverConstructor;
  const backend = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Otherwise s3rver treats any non-IP Host (e.g. a LAN name) as a virtual-hosted bucket.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const backendPort = (await backend.run()).port;
  // Only this front connects to s3rver. Its idle connections are closed by the front, never
  // by s3rver's keep-alive timer, which could close one just as the front reuses it (a reset
  // the client would see as a 502).
  if (backend.httpServer) backend.httpServer.keepAliveTimeout = 0;
  const agent = new http.Agent({ keepAlive: true });
  const writesByKey = new KeyedQueue();
  const FilesystemStore = require('s3rver/lib/stores/filesystem') as S3rverFilesystemStoreConstructor;
  const files = new FilesystemStore(directory);
  let multipartRoot: Promise<string> | undefined;
  const multipart = new MultipartUploads(
    () =>
      (multipartRoot ??= options.multipartDirectory
        ? mkdir(options.multipartDirectory, { recursive: true }).then(() => options.multipartDirectory as string)
        : mkdtemp(join(tmpdir(), 'local-s3-multipart-'))),
    {
      port: backendPort,
      agent,
      accessKeyId: options.credentials.accessKeyId,
      region: options.region,
      writeExclusively: (path, task) => writesByKey.run(path, task),
      md5Path: (bucket, key) => files.getResourcePath(bucket, key, 'object.md5'),
    },
  );

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean): void => {
    const cors = corsHeaders(origins, req.headers.origin);
    if (req.method === 'OPTIONS') return preflight(req, res, cors);

    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    if (isPostObject(req.method, path, rawQuery, req.headers['content-type'])) {
      // Signed by the policy in the form, not by headers: checked as the form arrives.
      if (expectsContinue) res.writeContinue();
      const bucket = path.replace(/^\/|\/$/g, '');
      const context = { bucket, iam, region: options.region, spoolDirectory, writesByKey, known: options.buckets.includes(bucket) };
      return void postObject(req, res, { port: backendPort, agent, cors, log, dropAnswer: false }, context).catch((error: Error) => {
        log(`local-s3: POST ${path} failed: ${error.message}`);
        if (res.headersSent) return void res.destroy(error);
        sendError(res, { status: 500, code: 'InternalError', message: 'We encountered an internal error.' }, cors, false);
      });
    }
    const verdict = verifySigV4(
      { method: req.method ?? 'GET', path, query: rawQuery, headers: req.headers },
      { credentials: (id) => iam.principal(id)?.credentials.secretAccessKey, region: options.region },
    );
    if (!verdict.ok) {
      log(`local-s3: ${verdict.status} ${verdict.code} ${req.method} ${url.split('?')[0]}: ${verdict.message}`);
      // An unread body would otherwise be parsed as the next request on this connection.
      if (hasBody(req)) res.shouldKeepAlive = false;
      return sendError(res, verdict, cors, req.method === 'HEAD');
    }
    const principal = iam.principal(verdict.accessKeyId) as Principal;
    const operation = describeS3Request(req.method ?? 'GET', path, new URLSearchParams(rawQuery), req.headers);
    const invocation = req.headers['amz-sdk-invocation-id'];
    const fault =
      options.faults?.decide(
        { function: principal.name, service: 's3', action: operation.name },
        typeof invocation === 'string' ? invocation : undefined,
      ) ?? 'pass';
    if (fault === 'before') return void req.socket.destroy();

    const backend: Backend = { port: backendPort, agent, cors, log, dropAnswer: fault === 'after' };
    if (operation.name === 'DeleteObjects') {
      if (expectsContinue) res.writeContinue();
      return void deleteObjects(req, res, backend, { iam, principal, bucket: operation.bucket ?? '' });
    }
    const denied = operation.checks.find((check) => !iam.authorize(principal, 's3', check.action, check.resource));
    if (denied) {
      log(`local-s3: 403 AccessDenied ${principal.name} may not ${denied.action} on ${denied.resource}`);
      if (hasBody(req)) res.shouldKeepAlive = false;
      return sendError(res, accessDenied, cors, req.method === 'HEAD');
    }
    // Rejected requests never see 100 Continue, so clients do not upload bodies for nothing.
    if (expectsContinue) res.writeContinue();

    if (multipartOperations.has(operation.name)) {
      return void answerMultipart(req, res, backend, () =>
        multipart.handle(req, { name: operation.name, bucket: operation.bucket ?? '', key: operation.key ?? '', path, query: new URLSearchParams(rawQuery) }),
      );
    }
    // Without s3:ListBucket, S3 will not say whether a key exists: a missing key is a 403.
    if ((operation.name === 'GetObject' || operation.name === 'HeadObject') && operation.bucket) {
      backend.hideMissing = !iam.can(principal, 's3:ListBucket', bucketArn(operation.bucket));
    }
    if (operation.name === 'CopyObject' || operation.name === 'PutObject') {
      dropStoredChecksum(req.headers);
      const checksum = operation.name === 'PutObject' ? declaredChecksum(req.headers) : undefined;
      if (typeof checksum === 'object') {
        res.shouldKeepAlive = false;
        return sendError(res, checksum, cors, false);
      }
      // S3 replaces an object atomically. s3rver unlinks and rewrites its file, so two writes
      // to one key at once can leave the key without bytes: one write per key at a time.
      return void writesByKey.run(path, async () => {
        // A client may have given up while it waited for the key: its answer is closed already.
        const closed = res.closed || res.destroyed ? Promise.resolve() : new Promise<void>((done) => res.once('close', done));
        if (checksum !== undefined) {
          putVerified(req, res, backend, checksum);
          return closed;
        }
        // Until s3rver is done too: a client that gives up (an SDK timeout) closes its side
        // while s3rver still writes, and its retry must not write the same key meanwhile.
        return Promise.all([closed, forward(req, res, backend)]).then(() => undefined);
      });
    }
    if (req.method !== 'GET' || !req.headers.range) return void forward(req, res, backend);
    void isEmptyObject(req, backend).then((empty) =>
      empty
        ? // S3 refuses any range of an empty object; s3rver would answer a body it cannot send.
          sendError(res, { status: 416, code: 'InvalidRange', message: 'The requested range is not satisfiable' }, cors, false)
        : forward(req, res, backend),
    );
  };

  const front = http.createServer((req, res) => handle(req, res, false));
  front.on('checkContinue', (req, res) => handle(req, res, true));
  try {
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (error) {
    // e.g. EADDRINUSE: do not leave the backend running behind a front that never started.
    agent.destroy();
    await backend.close();
    if (ownDirectory) await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const port = (front.address() as AddressInfo).port;
  // A wildcard bind address is not something a client can dial.
  const dialHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const endpoint = `http://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${port}`;

  const client = new S3Client({
    endpoint,
    region: options.region,
    forcePathStyle: true,
    credentials: options.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const expirationDays = options.tempExpirationDays ?? 1;
  const sweep = async (at?: Date): Promise<number> => {
    let deleted = 0;
    for (const [prefix, days] of [[tempPrefix, expirationDays], [previewsPrefix, previewExpirationDays]] as const) {
      const swept = await sweepExpired(client, options.buckets, prefix, days, at);
      if (swept > 0) log(`local-s3: swept ${swept} expired object(s) under ${prefix}`);
      deleted += swept;
    }
    return deleted;
  };

  const abortDays = options.abortIncompleteUploadDays ?? 1;
  const abortIncompleteUploads = async (at = new Date()): Promise<number> => {
    const aborted = await multipart.sweep(abortDays, at);
    if (aborted > 0) log(`local-s3: aborted ${aborted} incomplete multipart upload(s)`);
    return aborted;
  };

  const interval = options.sweepIntervalMs ?? 60_000;
  let sweeping: Promise<unknown> = Promise.resolve();
  const timer =
    interval > 0
      ? setInterval(() => {
          // Chained so a slow sweep never overlaps the next one.
          sweeping = sweeping.then(() => sweep()).then(() => abortIncompleteUploads()).catch((error: Error) => log(`local-s3: sweep failed: ${error.message}`));
        }, interval)
      : undefined;
  timer?.unref();

  log(`local-s3: listening on ${endpoint} (data in ${directory})`);
  return {
    endpoint,
    port,
    sweep,
    abortIncompleteUploads,
    async stop() {
      clearInterval(timer);
      await sweeping;
      await new Promise<void>((resolve) => {
        front.close(() => resolve());
        front.closeAllConnections();
      });
      client.destroy();
      agent.destroy();
      await backend.close();
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
      await removeSpool();
      if (multipartRoot && !options.multipartDirectory) await rm(await multipartRoot, { recursive: true, force: true });
    },
  };
}

type Headers = Record<string, string>;

interface Backend {
  port: number;
  agent: http.Agent;
  cors: Headers;
  log: (line: string) => void;
  /** An injected fault: the call happens, its answer is lost with the connection. */
  dropAnswer: boolean;
  /** The caller may not learn that a key is missing (no s3:ListBucket). */
  hideMissing?: boolean;
  /** s3rver's answer is handed here instead of being streamed to the client. */
  collect?: (status: number, headers: http.IncomingHttpHeaders, body: Buffer) => void;
}

const accessDenied = { status: 403, code: 'AccessDenied', message: 'Access Denied' };

/** Runs tasks of one key one after another; tasks of different keys run at once. */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    // The map forgets a key once its last task is done, so it never grows with the bucket.
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return current;
  }
}

/**
 * Streams a verified request to s3rver unchanged (or `body` in place of the request's) and
 * its answer back, with our CORS headers.
 */
/** Sends the request on to s3rver and its answer back; settles once s3rver's side is closed. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, backend: Backend, body?: Buffer | RebuiltBody): Promise<void> {
  const headers = { ...req.headers };
  delete headers.expect; // already answered by the front; s3rver must not wait for a body twice
  if (body) {
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
  }
  if (body && !Buffer.isBuffer(body)) headers['content-type'] = body.contentType;
  const upstream = http.request(
    { host: '127.0.0.1', port: backend.port, method: req.method, path: req.url, headers, agent: backend.agent },
    (backendRes) => {
      if (backend.dropAnswer) {
        backendRes.resume();
        backendRes.on('end', () => res.destroy());
        return;
      }
      if (backendRes.statusCode === 404 && backend.hideMissing) {
        backendRes.resume();
        return sendError(res, accessDenied, backend.cors, req.method === 'HEAD');
      }
      if (backend.collect) {
        const chunks: Buffer[] = [];
        backendRes.on('data', (chunk: Buffer) => chunks.push(chunk));
        backendRes.on('end', () => backend.collect?.(backendRes.statusCode ?? 502, backendRes.headers, Buffer.concat(chunks)));
        return;
      }
      const out = checksumAnswerHeaders(req, backendRes.statusCode ?? 502, { ...backendRes.headers });
      for (const name of Object.keys(out)) if (name.startsWith('access-control-')) delete out[name];
      res.writeHead(backendRes.statusCode ?? 502, { ...out, ...backend.cors });
      pipeline(backendRes, res, () => {});
    },
  );
  upstream.on('error', (error) => {
    backend.log(`local-s3: backend error: ${error.message}`);
    if (res.headersSent) return void res.destroy(error);
    sendError(res, { status: 502, code: 'InternalError', message: 'We encountered an internal error.' }, backend.cors, false);
  });
  const done = new Promise<void>((settle) => upstream.once('close', () => settle()));
  if (Buffer.isBuffer(body)) upstream.end(body);
  else pipeline(body?.body ?? req, upstream, () => {});
  return done;
}

/** A request body the front built itself, in place of the one it read. */
interface RebuiltBody {
  body: Readable;
  length: number;
  contentType: string;
}

/**
 * POST Object (a browser form): the policy's signature, expiry and conditions and the
 * signer's s3:PutObject on the key are checked before the file is kept, its size once it is
 * in; only then does s3rver store it, from a form rebuilt of the checked fields.
 */
async function postObject(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  backend: Backend,
  context: { bucket: string; known: boolean; iam: LocalIam; region: string; spoolDirectory: () => Promise<string>; writesByKey: KeyedQueue },
): Promise<void> {
  const { bucket, iam } = context;
  const received = context.known
    ? await receivePostObject(req, {
        verify: (fields) =>
          verifyPostPolicy({ bucket, fields }, { credentials: (id) => iam.principal(id)?.credentials.secretAccessKey, region: context.region }),
        authorize: ({ accessKeyId, key }) =>
          iam.authorize(iam.principal(accessKeyId) as Principal, 's3', 's3:PutObject', objectArn(bucket, key))
            ? undefined
            : { ok: false, status: 403, code: accessDenied.code, message: accessDenied.message },
        spoolDirectory: await context.spoolDirectory(),
      })
    : ({ ok: false, status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist' } as const);
  if (!received.ok) {
    backend.log(`local-s3: ${received.status} ${received.code} POST /${bucket}: ${received.message}`);
    // What the client still sends would otherwise be parsed as the next request on this connection.
    if (!req.complete) res.shouldKeepAlive = false;
    req.resume();
    return sendError(res, received, backend.cors, false);
  }
  try {
    const form = await rebuiltForm(received);
    await context.writesByKey.run(`/${bucket}/${received.verified.key}`, () => {
      forward(req, res, backend, form);
      return new Promise<void>((done) => res.once('close', done));
    });
  } finally {
    await rm(received.file, { force: true });
  }
}

/** A multipart call, answered by the front's own multipart store (see multipart.ts). */
function answerMultipart(req: http.IncomingMessage, res: http.ServerResponse, backend: Backend, reply: () => Promise<Reply>): void {
  reply().then(
    (answer) => {
      if (backend.dropAnswer) return void res.destroy();
      // What the client still sends would otherwise be parsed as the next request on this connection.
      if (!req.complete) res.shouldKeepAlive = false;
      const body = answer.body ?? '';
      res.writeHead(answer.status, { ...answer.headers, ...backend.cors, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    (error: Error) => {
      backend.log(`local-s3: a multipart call failed: ${error.message}`);
      if (res.headersSent) return void res.destroy(error);
      sendError(res, { status: 500, code: 'InternalError', message: 'We encountered an internal error.' }, backend.cors, false);
    },
  );
}

/** A PUT that declares a SHA-256 checksum: its bytes reach their key only with that digest. */
function putVerified(req: http.IncomingMessage, res: http.ServerResponse, backend: Backend, checksum: string): void {
  putThroughStaging(req, checksum, backend).then(
    (answer) => {
      if (backend.dropAnswer) return void res.destroy();
      if ('code' in answer) return sendError(res, answer, backend.cors, false);
      res.writeHead(answer.status, { ...answer.headers, ...backend.cors });
      res.end(answer.body);
    },
    (error: Error) => {
      backend.log(`local-s3: a checksummed PUT failed: ${error.message}`);
      res.destroy(error);
    },
  );
}

/**
 * DeleteObjects needs s3:DeleteObject on each key: S3 deletes the allowed keys and reports
 * each denied one as an AccessDenied entry inside its 200 answer.
 */
async function deleteObjects(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  backend: Backend,
  context: { iam: LocalIam; principal: Principal; bucket: string },
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const xml = body.toString('utf8');
  const keys = deleteObjectsKeys(xml);
  const allowedKeys = keys.filter((key) =>
    context.iam.authorize(context.principal, 's3', 's3:DeleteObject', objectArn(context.bucket, key)),
  );
  const deniedKeys = keys.filter((key) => !allowedKeys.includes(key));
  if (deniedKeys.length === 0) return forward(req, res, backend, body);

  const errors = deniedKeys
    .map((key) => `<Error><Key>${escapeXml(key)}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
    .join('');
  const answer = (result: string) => {
    const text = result.includes('</DeleteResult>')
      ? result.replace('</DeleteResult>', `${errors}</DeleteResult>`)
      : `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`;
    if (backend.dropAnswer) return void res.destroy();
    res.writeHead(200, { ...backend.cors, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (allowedKeys.length === 0) return answer('');
  const quiet = /<Quiet>\s*true\s*<\/Quiet>/i.test(xml);
  forward(req, res, { ...backend, dropAnswer: false, collect: (status, headers, result) => {
    if (status !== 200) {
      res.writeHead(status, { ...headers, ...backend.cors });
      return void res.end(result);
    }
    answer(quiet ? result.toString('utf8').replace(/<Deleted>[\s\S]*?<\/Deleted>/g, '') : result.toString('utf8'));
  } }, Buffer.from(deleteObjectsBody(allowedKeys, quiet)));
}

/** Whether the object a GET asks for exists and has no bytes (a HEAD to s3rver, which trusts the front). */
function isEmptyObject(req: http.IncomingMessage, backend: Backend): Promise<boolean> {
  const headers = { ...req.headers };
  delete headers.range;
  return new Promise((resolve) => {
    const head = http.request(
      { host: '127.0.0.1', port: backend.port, method: 'HEAD', path: req.url, headers, agent: backend.agent },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200 && response.headers['content-length'] === '0');
      },
    );
    head.on('error', () => resolve(false));
    head.end();
  });
}

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** CORS response headers for an allowed origin; none for same-origin or disallowed callers. */
function corsHeaders(origins: string[], origin: string | undefined): Headers {
  if (origin === undefined) return {};
  if (origins.includes('*')) return { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' };
  if (!origins.includes(origin)) return {};
  return { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag', vary: 'Origin' };
}

function preflight(req: http.IncomingMessage, res: http.ServerResponse, cors: Headers): void {
  const method = req.headers['access-control-request-method'];
  if (req.headers.origin === undefined || method === undefined) {
    const message = 'Insufficient information. Origin request header needed.';
    return sendError(res, { status: 400, code: 'BadRequest', message }, {}, false);
  }
  if (!cors['access-control-allow-origin'] || !CORS_METHODS.includes(method.toUpperCase())) {
    const message =
      "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
    return sendError(res, { status: 403, code: 'CORSResponse', message }, {}, false);
  }
  // Like a bucket CORS rule with AllowedHeaders ['*']: whatever the browser asks for.
  const requested = req.headers['access-control-request-headers'] ?? 'content-type';
  res.writeHead(200, {
    ...cors,
    'access-control-allow-methods': CORS_METHODS.join(', '),
    'access-control-allow-headers': requested,
    'access-control-max-age': '3000',
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    'content-length': '0',
  });
  res.end();
}

type ErrorReply = Pick<SigV4Failure, 'message' | 'details'> & { status: number; code: string };


function sendError(res: http.ServerResponse, error: ErrorReply, cors: Headers, headOnly: boolean): void {
  const extra = Object.entries(error.details ?? {})
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${extra}` +
    `<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
  res.writeHead(error.status, {
    ...cors,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
  });
  res.end(headOnly ? undefined : body);
}
