import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { TelemetryEnv } from '../../contract/env';
import { METRIC_DIMENSIONS, METRICS } from '../../contract/metrics';
import type { MetricName, Telemetry } from '../ports/telemetry';

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
