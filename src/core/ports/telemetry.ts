import type { ReplyMetricName } from '../../contract/metrics';
import type { ErrorCode } from '../../contract/protocol';

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

/** Telemetry that records nothing (the default, and tests that do not look at it). */
export const silentTelemetry: Telemetry = {
  info() {}, warn() {}, error() {}, metric() {}, errorCode() {}, flush() {},
};
