import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricName, Telemetry } from '../ports/telemetry';

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
