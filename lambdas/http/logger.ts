/**
 * Structured JSON logs, one object per line. Presigned URLs and tokens are credentials:
 * they are masked before anything is written.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets: Array<[RegExp, string]> = [
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1[redacted]'],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
];

export function redact(text: string): string {
  return secrets.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

export interface Logger {
  log(level: Level, message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  minLevel: Level = (process.env.LOG_LEVEL as Level | undefined) ?? 'info',
): Logger {
  return {
    log(level, message, fields = {}) {
      if (order[level] < (order[minLevel] ?? order.info)) return;
      write(redact(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields })));
    },
  };
}
