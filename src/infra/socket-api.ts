import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketAwsIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { createLogGroup, functionRole, LogSettings } from './log-group';
import { WildcardReason } from './nag';
import { acknowledgeRuntime } from './runtime';
import { asyncRoute, CONNECT_IDENTITY_SOURCE, MESSAGE_ROUTES, ROUTE_SELECTION_EXPRESSION, WS_ROUTES } from '../contract/routes';
import { AuthorizerFunction } from '../handlers/authorizer-function';
import { ChatFunction } from '../handlers/chat-function';

/** Inputs of the WebSocket part. */
export interface SocketApiProps {
  /** Environment of the chat function (docs/RUNTIME.md §4). */
  readonly chatEnvironment: Record<string, string>;
  /** Environment of the `$connect` authorizer (Cognito pool and client). */
  readonly authorizerEnvironment: Record<string, string>;
  readonly chatTimeout: Duration;
  readonly chatMemorySize: number;
  readonly throttle: apigwv2.ThrottleSettings;
  readonly logs: LogSettings;
  readonly stageName: string;
}

/**
 * The WebSocket API: a Lambda REQUEST authorizer at `$connect` (token in the query string), the
 * chat function behind every route, and `sendMessage` invoked asynchronously so that an answer
 * may stream for longer than API Gateway's 29-second integration timeout.
 */
export class SocketApi extends Construct {
  /** The wildcard the `@connections` grant needs: connection ids are not known in advance. */
  public static readonly CONNECTIONS_WILDCARD: WildcardReason = {
    pattern: /@connections\/\*\]?$/,
    reason: 'execute-api:ManageConnections is limited to this API\'s own stage; the connection ids under @connections are created at run time, one per browser tab.',
  };

  /** The WebSocket API. */
  public readonly api: apigwv2.WebSocketApi;
  /** Its only stage (throttled, auto-deployed). */
  public readonly stage: apigwv2.WebSocketStage;
  /** Handles every route and streams answers back through `@connections`. */
  public readonly chatFunction: lambda.Function;
  /** Verifies the ID token once, at `$connect`. */
  public readonly authorizerFunction: lambda.Function;

  constructor(scope: Construct, id: string, props: SocketApiProps) {
    super(scope, id);

    const authorizerLogs = createLogGroup(this, 'AuthorizerLogs', props.logs);
    this.authorizerFunction = new AuthorizerFunction(this, 'AuthorizerFunction', {
      description: 'Verifies the Cognito ID token at WebSocket $connect',
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: props.authorizerEnvironment,
      logGroup: authorizerLogs,
      role: functionRole(this, 'AuthorizerRole', authorizerLogs, 'WebSocket $connect authorizer'),
    });

    const chatLogs = createLogGroup(this, 'ChatLogs', props.logs);
    this.chatFunction = new ChatFunction(this, 'ChatFunction', {
      description: 'Chat routes: stores messages and streams Bedrock answers over @connections',
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.chatMemorySize,
      timeout: props.chatTimeout,
      // A failed generation is finalized as an error reply by the handler; a retry would only
      // repeat work the user already saw fail (and the handler is idempotent on messageId anyway).
      retryAttempts: 0,
      // A message not picked up within minutes has been given up on by its sender.
      maxEventAge: Duration.minutes(5),
      environment: props.chatEnvironment,
      logGroup: chatLogs,
      role: functionRole(this, 'ChatRole', chatLogs, 'Chat function: table, Bedrock model, @connections'),
    });

    const proxy = (name: string) => new WebSocketLambdaIntegration(name, this.chatFunction);
    this.api = new apigwv2.WebSocketApi(this, 'Api', {
      description: 'Streaming chatbot WebSocket API',
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      connectRouteOptions: {
        integration: proxy('ConnectIntegration'),
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', this.authorizerFunction, {
          identitySource: [CONNECT_IDENTITY_SOURCE],
        }),
      },
      disconnectRouteOptions: { integration: proxy('DisconnectIntegration') },
      defaultRouteOptions: { integration: proxy('DefaultIntegration') },
    });
    const stack = Stack.of(this);
    for (const routeKey of MESSAGE_ROUTES) {
      const async = asyncRoute(routeKey);
      if (!async) {
        this.api.addRoute(routeKey, { integration: proxy(`${capitalize(routeKey)}Integration`) });
        continue;
      }
      const name = capitalize(routeKey);
      this.api.addRoute(routeKey, {
        integration: new WebSocketAwsIntegration(name, {
          integrationMethod: 'POST',
          integrationUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${this.chatFunction.functionArn}/invocations`,
          requestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
          templateSelectionExpression: `\\${async.templateKey}`,
          requestTemplates: { [async.templateKey]: async.requestTemplate },
        }),
      });
      // Lambda answers an Event invocation with 202 and no body; map it so the integration has a
      // response for every outcome (nothing is sent to the client: the route has no route response).
      const integration = this.api.node.findAll().filter((c): c is apigwv2.CfnIntegration =>
        c instanceof apigwv2.CfnIntegration && c.integrationType === apigwv2.WebSocketIntegrationType.AWS).pop();
      new apigwv2.CfnIntegrationResponse(this, `${name}IntegrationResponse`, {
        apiId: this.api.apiId,
        integrationId: integration!.ref,
        integrationResponseKey: '$default',
      });
      this.chatFunction.addPermission(`${name}Invoke`, {
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        action: 'lambda:InvokeFunction',
        sourceArn: stack.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `*/${routeKey}` }),
      });
    }

    this.stage = new apigwv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.throttle,
    });
    this.stage.grantManagementApiAccess(this.chatFunction);

    for (const route of this.api.node.children) {
      if (!(route instanceof apigwv2.WebSocketRoute) || route.routeKey === WS_ROUTES.connect) continue;
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: 'A WebSocket API authorizes only at $connect: this route runs on a connection whose ID token the $connect authorizer already verified, and the handler takes the user from that authorizer context.',
      });
    }
    acknowledgeRuntime(this.authorizerFunction);
    acknowledgeRuntime(this.chatFunction);
    Validations.of(this.stage).acknowledge({
      id: 'AwsSolutions-APIG1',
      reason: 'WebSocket access logging needs an account-wide API Gateway CloudWatch role that a library must not change; the chat function logs every route with its request id instead.',
    });
  }

  /** `wss://…/<stage>`: what the browser connects to. */
  public get url(): string {
    return this.stage.url;
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
