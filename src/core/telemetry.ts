import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TelemetryEnv } from '../contract/env';
import { METRIC_DIMENSIONS, METRICS, ReplyMetricName } from '../contract/metrics';
import type { ErrorCode } from '../contract/protocol';

/** Metric names of the chat runtime (src/contract/metrics.ts; alarms depend on them). */
export type MetricName = ReplyMetricName;

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
  [METRICS.timeToFirstToken]: MetricUnit.Milliseconds,
  [METRICS.streamDuration]: MetricUnit.Milliseconds,
  [METRICS.inputTokens]: MetricUnit.Count,
  [METRICS.outputTokens]: MetricUnit.Count,
};

/** Options of {@link powertoolsTelemetry}. */
export interface PowertoolsOptions {
  /** False: no EMF at all (the local stack, whose console is the developer's). @default true */
  readonly metrics?: boolean;
}

/** Powertools logger (JSON) and EMF metrics; one instance per handler. */
export function powertoolsTelemetry(env: TelemetryEnv, options: PowertoolsOptions = {}): Telemetry & { logger: Logger; metrics: Metrics } {
  const logger = new Logger({ serviceName: env.serviceName, logLevel: env.logLevel as LogLevel });
  const metrics = new Metrics({ serviceName: env.serviceName, namespace: env.namespace });
  const emit = options.metrics ?? true;
  let pending = 0;
  return {
    logger,
    metrics,
    info: (m, f) => logger.info(m, f ?? {}),
    warn: (m, f) => logger.warn(m, f ?? {}),
    error: (m, f) => logger.error(m, f ?? {}),
    metric: (name, value) => {
      if (!emit) return;
      pending++;
      metrics.addMetric(name, UNITS[name], value);
    },
    errorCode: (code) => {
      if (!emit) return;
      const single = metrics.singleMetric();
      single.addDimension(METRIC_DIMENSIONS.code, code);
      single.addMetric(METRICS.errors, MetricUnit.Count, 1);
    },
    flush: () => { if (pending > 0) metrics.publishStoredMetrics(); pending = 0; },
  };
}
