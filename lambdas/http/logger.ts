import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Structured JSON logs through Powertools' Logger, one object per line. Presigned URLs and
 * tokens are credentials: they are masked before anything is written.
 */
export type { Logger } from '@aws-lambda-powertools/logger';

type Level = 'debug' | 'info' | 'warn' | 'error';

const secrets: Array<[RegExp, string]> = [
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1[redacted]'],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]'],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted-jwt]'],
];

export function redact(text: string): string {
  return secrets.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

/**
 * `{level, time, message, service, ...fields}` with the level in lower case, as the
 * service's log queries expect; the X-Ray trace id when there is one.
 */
class ServiceLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel.toLowerCase(),
        time: this.formatTimestamp(attributes.timestamp),
        message: attributes.message,
        service: attributes.serviceName,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}

/** Powertools' Logger writing through `write` when one is given (tests capture lines so). */
class ServiceLogger extends Logger {
  constructor(
    options: ConstructorOptions,
    private readonly write?: (line: string) => void,
  ) {
    super(options);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.write) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    this.write(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

/**
 * The level comes from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (any case; `info` by default), the
 * service name from POWERTOOLS_SERVICE_NAME. Lambda's own log level setting, when set, wins.
 */
export function createLogger(write?: (line: string) => void, minLevel?: Level): Logger {
  const level = minLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'info';
  return new ServiceLogger(
    {
      logLevel: level.toUpperCase() as ConstructorOptions['logLevel'],
      logFormatter: new ServiceLogFormatter(),
      // Every string on its way out, error messages and stacks included.
      jsonReplacerFn: (_key, value) => (typeof value === 'string' ? redact(value) : value),
    },
    write,
  );
}
