import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ErrorCode } from '../contract/protocol';

/** Metric names of the chat runtime (docs/INTERNALS.md; alarms depend on them). */
export type MetricName = 'TimeToFirstToken' | 'StreamDuration' | 'InputTokens' | 'OutputTokens';

/**
 * Logging and metrics as the core sees them: structured fields only — message text never goes
 * to the log at INFO, so the log holds no conversation content.
 */
export interface Telemetry {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  metric(name: MetricName, value: number): void;
  /** One `Errors` count with dimension `code`. */
  errorCode(code: ErrorCode): void;
  /** Publishes the stored metrics (end of each invocation / generation). */
  flush(): void;
}

/** Telemetry that records nothing (tests that do not look at it). */
export const silentTelemetry: Telemetry = {
  info() {}, warn() {}, error() {}, metric() {}, errorCode() {}, flush() {},
};

const UNITS: Record<MetricName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  TimeToFirstToken: MetricUnit.Milliseconds,
  StreamDuration: MetricUnit.Milliseconds,
  InputTokens: MetricUnit.Count,
  OutputTokens: MetricUnit.Count,
};

/** Powertools logger (JSON) and EMF metrics; one instance per handler module. */
export function powertoolsTelemetry(serviceName = 'chatbot'): Telemetry & { logger: Logger; metrics: Metrics } {
  const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName });
  const metrics = new Metrics({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'CdkStreamingChatbot',
  });
  let pending = 0;
  return {
    logger,
    metrics,
    info: (m, f) => logger.info(m, f ?? {}),
    warn: (m, f) => logger.warn(m, f ?? {}),
    error: (m, f) => logger.error(m, f ?? {}),
    metric: (name, value) => { pending++; metrics.addMetric(name, UNITS[name], value); },
    errorCode: (code) => {
      const single = metrics.singleMetric();
      single.addDimension('code', code);
      single.addMetric('Errors', MetricUnit.Count, 1);
    },
    flush: () => { if (pending > 0) metrics.publishStoredMetrics(); pending = 0; },
  };
}
