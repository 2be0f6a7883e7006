import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonSchema, OpenApiDocument } from '../../../lambdas/http/openapi';

/** One real answer of the service, as a client read it. */
export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, when the answer was JSON. */
  body: unknown;
  bytes: Buffer;
}

export interface CallInit {
  path?: Record<string, string>;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The bearer token; null sends none. */
  token?: string | null;
}

const methods = ['get', 'post', 'patch', 'delete'] as const;

/**
 * A client that calls the service by operationId, building each request from the OpenAPI
 * document (so the documented paths are the ones that work), and checks every answer against
 * the document: its status is listed for the operation, a JSON body validates against the
 * listed schema (JSON Schema 2020-12, ajv), an answer listed without content has none, an
 * image is PNG or JPEG, required headers are sent. A mismatch throws, naming the operation.
 */
export class DocumentedApi {
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly operations: Map<string, { method: string; path: string; operation: JsonSchema }>;
  /** Every operationId and the statuses it answered, in the order seen. */
  readonly answered = new Map<string, Set<number>>();
  /** Also shown every answer (another spec's checks), once it passed the document's. */
  observers: Array<(operationId: string, answer: Answer) => void> = [];

  constructor(
    readonly baseUrl: string,
    readonly document: OpenApiDocument,
    private readonly token?: string,
  ) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: document.components }, 'openapi.json');
    this.operations = new Map(
      Object.entries(document.paths).flatMap(([path, item]) =>
        methods
          .filter((method) => item[method] !== undefined)
          .map((method) => {
            const operation = item[method] as JsonSchema;
            return [operation.operationId as string, { method, path, operation }] as const;
          }),
      ),
    );
  }

  /** The same checks, as another caller. */
  as(token: string | undefined): DocumentedApi {
    const other = new DocumentedApi(this.baseUrl, this.document, token);
    (other as { answered: Map<string, Set<number>> }).answered = this.answered;
    other.observers = this.observers;
    return other;
  }

  operationIds(): string[] {
    return [...this.operations.keys()];
  }

  /** The success statuses (below 400) the document lists for an operation. */
  successStatuses(operationId: string): number[] {
    const { operation } = this.operation(operationId);
    return Object.keys(operation.responses as object).map(Number).filter((status) => status < 400);
  }

  async call(operationId: string, init: CallInit = {}): Promise<Answer> {
    const { method, path } = this.operation(operationId);
    const resolved = path.replace(/\{(\w+)\}/g, (_whole, name: string) => {
      const value = init.path?.[name];
      if (value === undefined) throw new Error(`${operationId}: path parameter ${name} missing`);
      return encodeURIComponent(value);
    });
    const query = new URLSearchParams(Object.entries(init.query ?? {}).map(([name, value]): [string, string] => [name, String(value)]));
    const token = init.token === undefined ? this.token : init.token;
    const headers: Record<string, string> = { ...init.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${resolved}${query.size > 0 ? `?${query}` : ''}`, {
      method: method.toUpperCase(),
      headers,
      redirect: 'manual',
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const json = /json/.test(response.headers.get('content-type') ?? '');
    const answer: Answer = { status: response.status, headers: response.headers, bytes, body: json && bytes.length > 0 ? JSON.parse(bytes.toString('utf8')) : undefined };
    this.check(operationId, answer);
    for (const observe of this.observers) observe(operationId, answer);
    const statuses = this.answered.get(operationId) ?? new Set<number>();
    statuses.add(answer.status);
    this.answered.set(operationId, statuses);
    return answer;
  }

  /** Throws when the answer is not one the document describes for the operation. */
  check(operationId: string, answer: Answer): void {
    const { operation } = this.operation(operationId);
    const listed = (operation.responses as Record<string, JsonSchema>)[String(answer.status)];
    const seen = `${operationId} answered ${answer.status} ${answer.headers.get('content-type') ?? ''} ${answer.bytes.toString('utf8').slice(0, 300)}`;
    if (!listed) throw new Error(`${seen}: the document does not list ${answer.status}`);
    const response = this.resolve(listed);
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, JsonSchema>)) {
      if (header.required === true && !answer.headers.has(name)) throw new Error(`${seen}: the required header ${name} is missing`);
    }
    const content = response.content as Record<string, JsonSchema> | undefined;
    if (!content) {
      if (answer.bytes.length > 0) throw new Error(`${seen}: the document lists no content, the answer has some`);
      return;
    }
    const type = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const media = content[type];
    if (!media) throw new Error(`${seen}: the document lists ${Object.keys(content).join(', ')}, not ${type}`);
    if (type !== 'application/json') return;
    const ref = (media.schema as JsonSchema).$ref as string;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${ref}` });
      this.validators.set(ref, validate);
    }
    if (!validate(answer.body)) throw new Error(`${seen}: not a ${ref}: ${this.ajv.errorsText(validate.errors)}`);
  }

  private operation(operationId: string) {
    const found = this.operations.get(operationId);
    if (!found) throw new Error(`The document has no operation ${operationId}`);
    return found;
  }

  private resolve(response: JsonSchema): JsonSchema {
    const ref = response.$ref as string | undefined;
    if (!ref) return response;
    const name = ref.replace('#/components/responses/', '');
    const found = this.document.components.responses[name];
    if (!found) throw new Error(`No response ${ref}`);
    return found;
  }
}

/**
 * The statuses the OpenAPI document lists for the operation a request reaches: its method and
 * concrete path (a query is ignored) matched against the documented paths, a literal segment
 * before a variable as API Gateway matches. Undefined when no documented route matches.
 */
export function documentedStatuses(document: OpenApiDocument, method: string, path: string): number[] | undefined {
  const bare = path.split('?')[0] ?? path;
  const candidates = Object.entries(document.paths)
    .filter(([template, item]) => item[method.toLowerCase()] !== undefined && templatePattern(template).test(bare))
    .sort(([a], [b]) => literalLength(b) - literalLength(a));
  const [, item] = candidates[0] ?? [];
  const operation = item?.[method.toLowerCase()] as JsonSchema | undefined;
  return operation ? Object.keys(operation.responses as object).map(Number) : undefined;
}

function templatePattern(template: string): RegExp {
  const parts = template.split(/(\{\w+\})/).map((part) => (/^\{\w+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`);
}

function literalLength(template: string): number {
  return template.replace(/\{\w+\}/g, '').length;
}
