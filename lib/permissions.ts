import { filesPrefix, previewsPrefix, tempPrefix } from '../lambdas/core/keys';
import type { Permission } from '../lambdas/operations';
import { listIndexes } from '../lambdas/adapters/table-layout';

/** One IAM grant, as plain data so the mapping can be tested without synthesising. */
export interface PermissionGrant {
  readonly actions: string[];
  readonly resources: string[];
}

/** Each table permission is exactly one DynamoDB action on the table. */
const TABLE_ACTIONS = {
  'table:get': 'dynamodb:GetItem',
  'table:query': 'dynamodb:Query',
  'table:batch-get': 'dynamodb:BatchGetItem',
  'table:put': 'dynamodb:PutItem',
  'table:update': 'dynamodb:UpdateItem',
  'table:delete': 'dynamodb:DeleteItem',
  'table:batch-write': 'dynamodb:BatchWriteItem',
  'table:condition-check': 'dynamodb:ConditionCheckItem',
} as const satisfies Partial<Record<Permission, string>>;

/**
 * Turns an operation's abstract permissions into the narrowest IAM grants: table actions on
 * the table only, object actions on one key prefix only, never s3:ListBucket, PutEvents on
 * the service's bus only. Grants on the same resource are merged, so each resource appears in
 * exactly one grant.
 */
export function permissionGrants(
  permissions: readonly Permission[],
  arns: { readonly tableArn: string; readonly bucketArn: string; readonly eventBusArn?: string },
): PermissionGrant[] {
  // The prefixes come from the handlers' key scheme, so grants and keys cannot drift apart.
  const tempObjects = `${arns.bucketArn}/${tempPrefix}*`;
  const fileObjects = `${arns.bucketArn}/${filesPrefix}*`;
  const previewObjects = `${arns.bucketArn}/${previewsPrefix}*`;
  const scopedGrants: Record<Exclude<Permission, keyof typeof TABLE_ACTIONS | 'events:put'>, PermissionGrant> = {
    'index:query': {
      actions: ['dynamodb:Query'],
      resources: Object.values(listIndexes).map((index) => `${arns.tableArn}/index/${index.name}`),
    },
    'temp:put': { actions: ['s3:PutObject'], resources: [tempObjects] },
    'temp:read': { actions: ['s3:GetObject'], resources: [tempObjects] },
    'temp:delete': { actions: ['s3:DeleteObject'], resources: [tempObjects] },
    'temp:list-parts': { actions: ['s3:ListMultipartUploadParts'], resources: [tempObjects] },
    'temp:abort': { actions: ['s3:AbortMultipartUpload'], resources: [tempObjects] },
    'files:put': { actions: ['s3:PutObject'], resources: [fileObjects] },
    'files:read': { actions: ['s3:GetObject'], resources: [fileObjects] },
    'files:delete': { actions: ['s3:DeleteObject'], resources: [fileObjects] },
    'files:list-parts': { actions: ['s3:ListMultipartUploadParts'], resources: [fileObjects] },
    'files:abort': { actions: ['s3:AbortMultipartUpload'], resources: [fileObjects] },
    'previews:read': { actions: ['s3:GetObject'], resources: [previewObjects] },
    'previews:put': { actions: ['s3:PutObject'], resources: [previewObjects] },
    'previews:delete': { actions: ['s3:DeleteObject'], resources: [previewObjects] },
  };
  const grantOf = (permission: Permission): PermissionGrant => {
    if (permission === 'events:put') {
      if (!arns.eventBusArn) throw new Error('permissionGrants: events:put needs the event bus ARN');
      return { actions: ['events:PutEvents'], resources: [arns.eventBusArn] };
    }
    return permission in TABLE_ACTIONS
      ? { actions: [TABLE_ACTIONS[permission as keyof typeof TABLE_ACTIONS]], resources: [arns.tableArn] }
      : scopedGrants[permission as keyof typeof scopedGrants];
  };

  const actionsByResource = new Map<string, Set<string>>();
  for (const permission of permissions) {
    const grant = grantOf(permission);
    for (const resource of grant.resources) {
      const actions = actionsByResource.get(resource) ?? new Set<string>();
      grant.actions.forEach((action) => actions.add(action));
      actionsByResource.set(resource, actions);
    }
  }
  return [...actionsByResource].map(([resource, actions]) => ({
    actions: [...actions].sort(),
    resources: [resource],
  }));
}
