import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRICS } from '../contract/metrics';

/** Inputs of the monitoring part. */
export interface MonitoringProps {
  /** Powertools namespace and `service` dimension the chat handler emits its metrics with. */
  readonly namespace: string;
  readonly service: string;
  readonly functions: Record<string, lambda.IFunction>;
  /**
   * The key in `functions` of the `$connect` authorizer: its refusals of bad tokens fail the
   * invocation (that is how a Lambda authorizer yields 401) and are counted in `TokensRejected`,
   * so its error alarm counts `Errors - TokensRejected`.
   */
  readonly authorizer: string;
  readonly webSocketApiId: string;
  readonly webSocketStage: string;
  readonly timeToFirstTokenThreshold: Duration;
  readonly alarmActions: cloudwatch.IAlarmAction[];
  readonly dashboardName?: string;
}

const PERIOD = Duration.minutes(5);

/** The authorizer's real failures: its Lambda errors less the refusals it counted as rejected tokens. */
export const AUTHORIZER_FAILURES_EXPRESSION = 'FILL(errors, 0) - FILL(rejected, 0)';

/**
 * Dashboard and alarms: Lambda errors and throttles, WebSocket 5xx (execution and integration
 * errors), model throttling and errors from the handler's `Errors` metric, and time to first
 * token p90 (docs/INTERNALS.md "Metrics").
 */
export class Monitoring extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm created, in a stable order. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const handlerMetric = (metricName: string, statistic: string, extra: Record<string, string> = {}) =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName,
        statistic,
        period: PERIOD,
        dimensionsMap: { [METRIC_DIMENSIONS.service]: props.service, ...extra },
      });
    const socketMetric = (metricName: string) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      statistic: 'Sum',
      period: PERIOD,
      dimensionsMap: { ApiId: props.webSocketApiId, Stage: props.webSocketStage },
    });

    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      for (const action of props.alarmActions) a.addAlarmAction(action);
      this.alarms.push(a);
      return a;
    };

    const lambdaWidgets: cloudwatch.IWidget[] = [];
    for (const [name, fn] of Object.entries(props.functions)) {
      const errors = fn.metricErrors({ period: PERIOD, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: PERIOD, statistic: 'Sum' });
      if (name === props.authorizer) {
        const failures = new cloudwatch.MathExpression({
          expression: AUTHORIZER_FAILURES_EXPRESSION,
          usingMetrics: { errors, rejected: handlerMetric(METRICS.tokensRejected, 'Sum') },
          label: `${name} failures (errors less rejected tokens)`,
          period: PERIOD,
        });
        alarm(`${name}Errors`, failures, 1, `${name} function failed (JWKS unreachable, uncaught error or timeout); refused tokens do not count.`);
        lambdaWidgets.push(new cloudwatch.GraphWidget({
          title: `${name} failures / rejected tokens / throttles`,
          left: [failures, handlerMetric(METRICS.tokensRejected, 'Sum'), throttles],
          width: 8,
        }));
        alarm(`${name}Throttles`, throttles, 1, `${name} function was throttled (account concurrency exhausted).`);
        continue;
      }
      alarm(`${name}Errors`, errors, 1, `${name} function failed (uncaught error or timeout).`);
      alarm(`${name}Throttles`, throttles, 1, `${name} function was throttled (account concurrency exhausted).`);
      lambdaWidgets.push(new cloudwatch.GraphWidget({ title: `${name} errors / throttles`, left: [errors, throttles], width: 8 }));
    }

    const socket5xx = new cloudwatch.MathExpression({
      expression: 'execution + integration',
      usingMetrics: { execution: socketMetric('ExecutionError'), integration: socketMetric('IntegrationError') },
      label: 'WebSocket 5xx',
      period: PERIOD,
    });
    alarm('WebSocket5xx', socket5xx, 5, 'WebSocket API execution/integration errors (5xx) in 5 minutes.');

    const throttled = handlerMetric(METRICS.errors, 'Sum', { [METRIC_DIMENSIONS.code]: 'MODEL_THROTTLED' });
    const modelErrors = handlerMetric(METRICS.errors, 'Sum', { [METRIC_DIMENSIONS.code]: 'MODEL_ERROR' });
    alarm('ModelThrottled', throttled, 5, 'Bedrock throttled 5 or more answers in 5 minutes: raise the model quota or use a cross-Region profile.');
    alarm('ModelErrors', modelErrors, 1, 'Bedrock failed an answer (MODEL_ERROR).');

    const ttft = handlerMetric(METRICS.timeToFirstToken, 'p90');
    alarm('TimeToFirstTokenP90', ttft, props.timeToFirstTokenThreshold.toMilliseconds(),
      `p90 time to first token at or above ${props.timeToFirstTokenThreshold.toSeconds()} s for 15 minutes.`, 3);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Time to first token (ms)',
        left: [ttft, handlerMetric(METRICS.timeToFirstToken, 'p50')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Tokens',
        left: [handlerMetric(METRICS.inputTokens, 'Sum'), handlerMetric(METRICS.outputTokens, 'Sum')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Model errors', left: [throttled, modelErrors], width: 8 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'WebSocket',
        left: [socketMetric('ConnectCount'), socketMetric('MessageCount')],
        right: [socket5xx, socketMetric('ClientError')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({ title: 'Stream duration p90 (ms)', left: [handlerMetric(METRICS.streamDuration, 'p90')], width: 12 }),
    );
    this.dashboard.addWidgets(...lambdaWidgets);
  }
}
