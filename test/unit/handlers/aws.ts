import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach } from 'vitest';
import type { FileRecord, FileVersion } from '../../../lambdas/core/model';

/**
 * The handlers run with their real wiring; only the SDK clients' `send` is mocked. The
 * environment must be set before a handler's first call, because wiring caches the service.
 */
export const s3 = mockClient(S3Client);
export const ddb = mockClient(DynamoDBDocumentClient);

export const table = 'files-table';
export const bucket = 'files-bucket';
export const region = 'eu-central-1';
export const org = '123';
export const userId = 'user-1';

export function useMockedAws(): void {
  beforeAll(() => {
    Object.assign(process.env, {
      TABLE_NAME: table,
      BUCKET_NAME: bucket,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'AKIDUNITTEST',
      AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
    });
    for (const name of ['S3_ENDPOINT', 'DYNAMODB_ENDPOINT', 'MAX_UPLOAD_BYTES', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
      delete process.env[name];
    }
  });
  beforeEach(() => {
    s3.reset();
    ddb.reset();
  });
}

export function pk(id: string, forOrg = org): string {
  return `FILE#${forOrg}#${id}`;
}

export function versionSk(version: number): string {
  return `VERSION#${String(version).padStart(10, '0')}`;
}

export function versionKey(id: string, version: number): string {
  return `files/${org}/${id}/0b6d8e4a-1c2f-4a3b-9d8e-7f6a5b4c3d2${version % 10}/v${version}.pdf`;
}

/** A stored version item, table keys included. */
export function versionItem(id: string, version: number): FileVersion & { pk: string; sk: string } {
  return {
    pk: pk(id),
    sk: versionSk(version),
    version,
    s3ref: { bucket, key: versionKey(id, version) },
    filename: `v${version}.pdf`,
    mime_type: 'application/pdf',
    size_bytes: 1000 * version,
    created_at: `2024-05-0${version}T00:00:00.000Z`,
    created_by: userId,
  };
}

/** A stored entity item at `latest` versions, table keys included. */
export function entityItem(id: string, latest: number, status: FileRecord['status'] = 'active'): FileRecord & { pk: string; sk: string } {
  return {
    pk: pk(id),
    sk: 'FILE',
    id,
    org,
    title: `v${latest}.pdf`,
    filename: `v${latest}.pdf`,
    type: 'document',
    mime_type: 'application/pdf',
    size_bytes: 1000 * latest,
    access_control: 'private',
    tags: [],
    relations: [],
    created_at: '2024-05-01T00:00:00.000Z',
    created_by: userId,
    updated_at: `2024-05-0${latest}T00:00:00.000Z`,
    latest_version: latest,
    revision: latest,
    s3ref: { bucket, key: versionKey(id, latest) },
    status,
  };
}

/** Version items newest first, as the Query with ScanIndexForward=false returns them. */
export function versionItems(id: string, latest: number) {
  return Array.from({ length: latest }, (_, index) => versionItem(id, latest - index));
}
