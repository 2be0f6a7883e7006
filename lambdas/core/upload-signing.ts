import { BadRequestError, ForbiddenError } from './errors';
import { parseTempKey, tempKey, tempPrefix } from './keys';
import type { ObjectStore } from './ports';

/**
 * Uppy 6's `signRequest`: a browser asks the service to presign each S3 call it is about to
 * make. Only the calls of an upload are signed, and only on the caller's own uploads: the key
 * of a new object (PutObject, CreateMultipartUpload) is the service's own temp key under the
 * caller's org, named after the key the browser proposed; every later call must name such a
 * key. The upload is then saved like any other.
 */
export interface SignableRequest {
  method: 'PUT' | 'POST' | 'GET' | 'DELETE';
  key: string;
  uploadId?: string;
  partNumber?: number;
  contentType?: string;
}

/** What `signRequest` answers (Uppy's PresignedResponse). */
export interface SignedRequest {
  url: string;
  /** The key the service chose, for a new object. */
  key?: string;
  /** Headers the URL was signed with, which the browser must send. */
  headers?: Record<string, string>;
}

export async function signUploadRequest(
  store: ObjectStore,
  context: { org: string; newId: () => string; assertTypeAllowed: (mimeType: string) => void },
  request: SignableRequest,
): Promise<SignedRequest> {
  const { method, uploadId, partNumber } = request;
  if (partNumber !== undefined && (method !== 'PUT' || uploadId === undefined)) {
    throw new BadRequestError('partNumber goes with a PUT of a part of a multipart upload (uploadId) only');
  }
  if (uploadId === undefined) {
    if (method !== 'PUT' && method !== 'POST') {
      throw new BadRequestError(`Only the calls of an upload are signed: ${method} without an uploadId is not one`);
    }
    if (request.contentType !== undefined) context.assertTypeAllowed(request.contentType);
    // The browser's key only names the file; where it goes is the service's choice.
    const key = tempKey(context.org, context.newId(), request.key.split('/').pop() || request.key);
    const typed = request.contentType !== undefined ? { contentType: request.contentType } : {};
    if (method === 'POST') return { url: await store.presignMultipartCall({ kind: 'create', key, ...typed }), key, ...typedHeaders(request) };
    return { url: await store.presignUpload(key, typed), key, ...typedHeaders(request) };
  }
  const key = ownUploadKey(context.org, request.key);
  switch (method) {
    case 'PUT':
      if (partNumber === undefined) throw new BadRequestError('A PUT with an uploadId uploads a part: give its partNumber');
      return { url: await store.presignPart(key, uploadId, partNumber) };
    case 'GET':
      return { url: await store.presignMultipartCall({ kind: 'list', key, uploadId }) };
    case 'POST':
      return { url: await store.presignMultipartCall({ kind: 'complete', key, uploadId }) };
    case 'DELETE':
      return { url: await store.presignMultipartCall({ kind: 'abort', key, uploadId }) };
  }
}

/** A key this service handed to the caller's org for an upload; anything else is refused. */
function ownUploadKey(org: string, key: string): string {
  if (parseTempKey(org, key)) return key;
  if (key.startsWith(tempPrefix)) throw new ForbiddenError('key is not an upload of your organization');
  throw new BadRequestError('key must be the key this service answered for the upload');
}

function typedHeaders(request: SignableRequest): { headers?: Record<string, string> } {
  return request.contentType !== undefined ? { headers: { 'content-type': request.contentType } } : {};
}
