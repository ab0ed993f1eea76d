import { Duration } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { createLogGroup, functionRole, LogSettings } from './log-group';
import { acknowledgeRuntime } from './runtime';
import { HISTORY_API_PREFIX, HISTORY_ROUTES } from '../contract/routes';
import { HistoryFunction } from '../handlers/history-function';

/** Inputs of the history part. */
export interface HistoryApiProps {
  readonly environment: Record<string, string>;
  readonly throttle: apigwv2.ThrottleSettings;
  readonly logs: LogSettings;
}

/**
 * The HTTP API for conversation history: every route behind a JWT authorizer that accepts only
 * ID/access tokens of this user pool issued to this app client.
 */
export class HistoryApi extends Construct {
  /** The HTTP API (reached by the browser through CloudFront `/api/*`). */
  public readonly api: apigwv2.HttpApi;
  /** Serves the history routes. */
  public readonly historyFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: HistoryApiProps) {
    super(scope, id);
    const historyLogs = createLogGroup(this, 'HistoryLogs', props.logs);
    this.historyFunction = new HistoryFunction(this, 'HistoryFunction', {
      description: 'Conversation history HTTP routes',
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: props.environment,
      logGroup: historyLogs,
      role: functionRole(this, 'HistoryRole', historyLogs, 'History API function: table only'),
    });
    acknowledgeRuntime(this.historyFunction);

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Streaming chatbot history API',
      createDefaultStage: false,
    });
    const accessLogs = createLogGroup(this, 'AccessLogs', props.logs);
    new apigwv2.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          requestTime: '$context.requestTime',
          method: '$context.httpMethod',
          routeKey: '$context.routeKey',
          status: '$context.status',
          responseLength: '$context.responseLength',
          integrationLatency: '$context.integrationLatency',
          authorizerError: '$context.authorizer.error',
        })),
      },
    });

  }

  /**
   * Adds the routes behind a JWT authorizer for this pool and client. Separate from the
   * constructor because the client's callback URL needs the distribution, which needs this API.
   */
  public addAuthorizedRoutes(userPool: cognito.IUserPool, userPoolClient: cognito.IUserPoolClient): void {
    const authorizer = new HttpUserPoolAuthorizer('CognitoJwt', userPool, {
      userPoolClients: [userPoolClient],
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('History', this.historyFunction);
    // CloudFront forwards `/api/*` unchanged, so the routes keep the prefix.
    for (const route of HISTORY_ROUTES) {
      this.api.addRoutes({ path: `${HISTORY_API_PREFIX}${route.path}`, methods: [route.method as apigwv2.HttpMethod], integration, authorizer });
    }
  }

  /** `<apiId>.execute-api.<region>.amazonaws.com`: the CloudFront origin. */
  public get domainName(): string {
    return `${this.api.apiId}.execute-api.${this.api.stack.region}.${this.api.stack.urlSuffix}`;
  }
}
