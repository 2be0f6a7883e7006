import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { epilotSpec } from '../../support/epilot-spec';
import type { Answer } from './openapi';

/** A real answer that epilot's spec describes otherwise. */
export interface Mismatch {
  operation: string;
  status: number;
  /** The failing keyword's place in the body (`/versions/0/size_bytes`), or `(status)`. */
  field: string;
  message: string;
}

/**
 * Checks real answers of the service against epilot's File API spec: for an operation epilot
 * has too (same operationId), a JSON answer with a status epilot lists must validate against
 * epilot's schema of that status (ajv, epilot's OpenAPI 3.0 schemas as JSON Schema).
 */
export class EpilotAnswers {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, logger: false });
  private readonly validators = new Map<string, ValidateFunction>();
  readonly mismatches: Mismatch[] = [];
  /** operationId → the statuses whose answers were checked against a schema of epilot's. */
  readonly checked = new Map<string, Set<number>>();

  constructor() {
    addFormats(this.ajv);
    // epilot's `url` (not a JSON Schema format) means a web address; ajv-formats' legacy `url`
    // also refuses private hosts, the local stack's 127.0.0.1 among them.
    this.ajv.addFormat('url', (value: string) => /^https?:\/\//.test(value) && URL.canParse(value));
    this.ajv.addSchema({ components: epilotSpec().document.components }, 'epilot.json');
  }

  has(operationId: string): boolean {
    return epilotSpec().operations.has(operationId);
  }

  check(operationId: string, answer: Answer): void {
    const operation = epilotSpec().operations.get(operationId);
    if (!operation) return;
    const status = String(answer.status);
    if (!(status in operation.responses)) return;
    const schema = operation.responses[status];
    if (!schema || answer.body === undefined) return;
    const key = `${operationId} ${status}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebased(schema));
      this.validators.set(key, validate);
    }
    const statuses = this.checked.get(operationId) ?? new Set<number>();
    statuses.add(answer.status);
    this.checked.set(operationId, statuses);
    if (validate(answer.body)) return;
    for (const error of validate.errors ?? []) {
      const missing = error.keyword === 'required' ? `/${String((error.params as { missingProperty?: string }).missingProperty)}` : '';
      this.mismatches.push({ operation: operationId, status: answer.status, field: `${error.instancePath}${missing}` || '(root)', message: error.message ?? error.keyword });
    }
  }
}

/** An inline schema of epilot's, its references pointed at the components added as `epilot.json`. */
function rebased(schema: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\/components\//g, '"$ref":"epilot.json#/components/')) as Record<string, unknown>;
}
