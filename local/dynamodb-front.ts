import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Faults } from './faults';
import type { LocalIam, Principal } from './iam/principals';
import { localAccount } from './iam/principals';
import { readSignedRequest, type SigV4Failure } from './s3/sigv4';

export interface DynamoDbFrontOptions {
  /** DynamoDB Local's endpoint, which checks no signature and no permission; calls wait for it. */
  target: string | Promise<string>;
  iam: LocalIam;
  faults?: Faults;
  region: string;
}

export interface DynamoDbFront {
  endpoint: string;
  stop(): Promise<void>;
}

interface IamCheck {
  action: string;
  resource: string;
}

/**
 * What DynamoDB does before DynamoDB Local sees a call: verify the SigV4 signature and
 * authorise the caller's policy, per DynamoDB's IAM rules: `dynamodb:<Op>` on the table (on
 * the index for a Query or Scan with IndexName), Batch* per table, and a transaction
 * authorised item by item (TransactWriteItems and TransactGetItems are not IAM actions).
 * Listens on loopback only.
 */
export async function startDynamoDbFront(options: DynamoDbFrontOptions): Promise<DynamoDbFront> {
  const targetUrl = Promise.resolve(options.target).then((endpoint) => new URL(endpoint));
  targetUrl.catch(() => undefined); // a stack whose DynamoDB Local fails stops before any call
  const agent = new http.Agent({ keepAlive: true });
  const tableArn = (name: string) => `arn:aws:dynamodb:${options.region}:${localAccount}:table/${name}`;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const { body, verdict } = await readSignedRequest(req, {
      credentials: (id) => options.iam.principal(id)?.credentials.secretAccessKey,
      region: options.region,
      service: 'dynamodb',
    });
    if (!verdict.ok) return sendJson(res, 400, signatureError(verdict));
    const principal = options.iam.principal(verdict.accessKeyId) as Principal;

    const operation = /^DynamoDB_20120810\.(\w+)$/.exec(String(req.headers['x-amz-target'] ?? ''))?.[1];
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { __type: 'com.amazon.coral.service#SerializationException', Message: 'Malformed JSON' });
    }
    if (!operation) {
      return sendJson(res, 400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
    }

    const invocation = req.headers['amz-sdk-invocation-id'];
    const fault =
      options.faults?.decide(
        { function: principal.name, service: 'dynamodb', action: operation },
        typeof invocation === 'string' ? invocation : undefined,
      ) ?? 'pass';
    if (fault === 'before') return void req.socket.destroy();

    for (const check of checksFor(operation, input, tableArn)) {
      if (options.iam.authorize(principal, 'dynamodb', check.action, check.resource)) continue;
      const because =
        principal.policy?.evaluate(check.action, check.resource) === 'explicitDeny'
          ? 'with an explicit deny in an identity-based policy'
          : `because no identity-based policy allows the ${check.action} action`;
      return sendJson(res, 400, {
        __type: 'com.amazon.coral.service#AccessDeniedException',
        Message: `User: ${principal.arn} is not authorized to perform: ${check.action} on resource: ${check.resource} ${because}`,
      });
    }

    const target = await targetUrl;
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url ?? '/',
        headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
        agent,
      },
      (answer) => {
        if (fault === 'after') {
          // The call happened; its answer is lost with the connection.
          answer.resume();
          answer.on('end', () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' });
    });
    upstream.end(body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

const transactWriteActions: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/** The IAM actions a DynamoDB call needs, each on its resource. */
export function checksFor(
  operation: string,
  input: Record<string, unknown>,
  tableArn: (name: string) => string,
): IamCheck[] {
  const tableName = typeof input.TableName === 'string' ? input.TableName : undefined;
  switch (operation) {
    case 'Query':
    case 'Scan': {
      const table = tableArn(tableName ?? '');
      const index = typeof input.IndexName === 'string' ? `${table}/index/${input.IndexName}` : table;
      return [{ action: `dynamodb:${operation}`, resource: index }];
    }
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems ?? {}) as object).map((name) => ({
        action: `dynamodb:${operation}`,
        resource: tableArn(name),
      }));
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Array<Record<string, { TableName?: string }>>).flatMap((item) =>
        Object.entries(item)
          .filter(([kind]) => kind in transactWriteActions)
          .map(([kind, request]) => ({ action: transactWriteActions[kind] as string, resource: tableArn(request.TableName ?? '') })),
      );
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Array<{ Get?: { TableName?: string } }>).map((item) => ({
        action: 'dynamodb:GetItem',
        resource: tableArn(item.Get?.TableName ?? ''),
      }));
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    default:
      return [{ action: `dynamodb:${operation}`, resource: tableName ? tableArn(tableName) : '*' }];
  }
}

function signatureError(failure: SigV4Failure): { __type: string; message: string } {
  const type =
    failure.code === 'InvalidAccessKeyId'
      ? 'UnrecognizedClientException'
      : failure.code === 'AccessDenied' && failure.message.startsWith('Access Denied')
        ? 'MissingAuthenticationTokenException'
        : 'InvalidSignatureException';
  const message =
    type === 'UnrecognizedClientException' ? 'The security token included in the request is invalid.' : failure.message;
  return { __type: `com.amazon.coral.service#${type}`, message };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
