import type { ErrorCode } from '../../../src/contract/protocol';
import type { MetricName, Telemetry } from '../../../src/core/ports/telemetry';

/** Telemetry that keeps every metric, error code and log line, for a test to read. */
export class RecordingTelemetry implements Telemetry {
  public metrics: Array<[MetricName, number]> = [];
  public codes: ErrorCode[] = [];
  public logs: Array<[string, Record<string, unknown> | undefined]> = [];
  info(m: string, f?: Record<string, unknown>) { this.logs.push([m, f]); }
  warn(m: string, f?: Record<string, unknown>) { this.logs.push([m, f]); }
  error(m: string, f?: Record<string, unknown>) { this.logs.push([m, f]); }
  metric(n: MetricName, v: number) { this.metrics.push([n, v]); }
  errorCode(c: ErrorCode) { this.codes.push(c); }
  flush() {}
}
