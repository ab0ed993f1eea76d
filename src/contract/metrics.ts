/**
 * The custom metrics the handlers emit (Powertools EMF) and the dashboard and alarms read
 * (docs/INTERNALS.md "Metrics"): one list, so an alarm can never watch a name nobody emits.
 */

/** Namespace of the handlers' metrics unless the construct's `metricsNamespace` says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'CdkStreamingChatbot';

/** Metric names. */
export const METRICS = {
  /** ms from the accepted message to the first delta posted. */
  timeToFirstToken: 'TimeToFirstToken',
  /** ms from the model request to the stored final reply. */
  streamDuration: 'StreamDuration',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
  /** One count per error frame, dimension {@link METRIC_DIMENSIONS.code} = the error code. */
  errors: 'Errors',
  /**
   * One count per `$connect` the authorizer refused for a missing, bad or expired token. Each such
   * refusal also counts in the authorizer's Lambda `Errors` (a Lambda authorizer yields 401 only by
   * failing with "Unauthorized"), so the authorizer alarm watches `Errors - TokensRejected`.
   */
  tokensRejected: 'TokensRejected',
} as const;

/** Every metric name. */
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** The metrics recorded once per reply with the chat handler's stored dimensions. */
export type ReplyMetricName = typeof METRICS.timeToFirstToken | typeof METRICS.streamDuration
  | typeof METRICS.inputTokens | typeof METRICS.outputTokens;

/** Dimension names. */
export const METRIC_DIMENSIONS = {
  /** Powertools' service dimension: unique per construct instance. */
  service: 'service',
  /** The error code of an {@link METRICS.errors} count. */
  code: 'code',
} as const;
