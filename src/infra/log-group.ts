import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Retention and removal shared by every log group the construct creates. */
export interface LogSettings {
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * An explicit log group, so retention is set by CloudFormation itself (no LogRetention custom
 * resource Lambda) and the group goes away, or stays, with the rest of the stack.
 */
export function createLogGroup(scope: Construct, id: string, settings: LogSettings): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: settings.retention,
    removalPolicy: settings.removalPolicy,
  });
}

/**
 * A Lambda execution role that may write only to its own log group: used instead of the
 * AWSLambdaBasicExecutionRole managed policy, which allows writing to every log group.
 */
export function functionRole(scope: Construct, id: string, logGroup: logs.ILogGroup, description: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description,
  });
  logGroup.grantWrite(role);
  return role;
}
