import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/**
 * CloudWatch metrics as Embedded Metric Format lines in the function's log. Namespace and
 * the `service` dimension come from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME;
 * POWERTOOLS_METRICS_DISABLED=true (tests, `npm start`) writes none.
 *
 * Each request's metrics are published in one synchronous step at its end, so requests
 * running at once in one process (the local API) never mix their dimensions.
 */
export type { Metrics } from '@aws-lambda-powertools/metrics';

/** What an operation may count: uploads started, saves and the bytes they saved. */
export type BusinessMetric = 'uploads' | 'saves' | 'bytesSaved';

export interface RecordedMetric {
  name: BusinessMetric;
  unit: 'Count' | 'Bytes';
  value: number;
}

export function createMetrics(): Metrics {
  return new Metrics();
}

/**
 * Dimensions: `service` and `operation` on every metric; `errors` also carries
 * `status_class` (4xx or 5xx), so an alarm on server errors needs one metric per operation
 * and client mistakes stay apart. Exact statuses are in the request log line.
 */
export function publishRequestMetrics(
  metrics: Metrics,
  request: { operation: string; status: number; recorded: readonly RecordedMetric[]; functionName?: string | undefined },
): void {
  metrics.captureColdStartMetric(request.functionName);
  if (request.status < 400 && request.recorded.length === 0) return;
  metrics.addDimension('operation', request.operation);
  if (request.status >= 400) {
    metrics.addDimension('status_class', `${Math.floor(request.status / 100)}xx`);
    metrics.addMetric('errors', MetricUnit.Count, 1);
  } else {
    for (const metric of request.recorded) metrics.addMetric(metric.name, MetricUnit[metric.unit], metric.value);
  }
  metrics.publishStoredMetrics();
}
