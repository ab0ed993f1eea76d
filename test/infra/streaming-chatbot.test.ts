import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cw_actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { clientConfig, synth } from './fixtures';

function chatEnvironment(template: ReturnType<typeof synth>['template']): Record<string, unknown> {
  const fns = template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Chat routes') } });
  const [fn] = Object.values(fns) as any[];
  return fn.Properties.Environment.Variables;
}

describe('StreamingChatbot with default props', () => {
  const { template, chatbot, assemblyDir } = synth();

  test('creates an on-demand table with PITR, TTL, the byUpdated index and deletion protection (RETAIN)', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [Match.objectLike({
        IndexName: 'byUpdated',
        KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'ALL' },
      })],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('runs three handlers on Node.js 22 arm64 from the prebundled assets', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' },
    }));
    expect(fns).toHaveLength(3);
  });

  test('the chat function may stream for 10 minutes and is never retried asynchronously', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Chat routes'),
      Timeout: 600,
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
      Qualifier: '$LATEST',
    });
  });

  test('the chat function gets the environment of docs/RUNTIME.md §4 with the default limits', () => {
    const env = chatEnvironment(template);
    expect(env).toMatchObject({
      MODEL_ID: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      TITLE_MODEL_ID: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      HISTORY_TOKEN_BUDGET: '8000',
      MAX_INPUT_CHARS: '16000',
      MAX_FRAME_BYTES: '32768',
      RATE_LIMIT_PER_MINUTE: '20',
      POWERTOOLS_METRICS_NAMESPACE: 'CdkStreamingChatbot',
    });
    expect(env.TABLE_NAME).toEqual({ Ref: expect.stringMatching(/^ChatConversationsTable/) });
    // The default system prompt lives in core; the construct passes one only when given.
    expect(env).not.toHaveProperty('SYSTEM_PROMPT');
    expect(env).not.toHaveProperty('INFERENCE_CONFIG');
  });

  test('the authorizer verifies tokens of the created pool and client', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('\\$connect'),
      Environment: {
        Variables: Match.objectLike({
          USER_POOL_ID: { Ref: Match.stringLikeRegexp('^ChatAuthUserPool') },
          CLIENT_ID: { Ref: Match.stringLikeRegexp('^ChatAuthWebClient') },
        }),
      },
    });
  });

  test('the WebSocket API has a REQUEST authorizer on $connect reading the token query parameter', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: Match.anyValue(),
    });
    for (const key of ['$disconnect', '$default', 'stop', 'ping', 'sendMessage']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key });
    }
  });

  test('sendMessage and regenerate are asynchronous Lambda invocations, so answers are not capped at 29 s', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS',
      IntegrationMethod: 'POST',
      IntegrationUri: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':lambda:path/2015-03-31/functions/$')])] },
      RequestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
      TemplateSelectionExpression: '\\$default',
      RequestTemplates: {
        $default: '{"requestContext":{"routeKey":"sendMessage","connectionId":"$context.connectionId","domainName":"$context.domainName","stage":"$context.stage","requestId":"$context.requestId","authorizer":{"principalId":"$context.authorizer.principalId"}},"body":$input.json(\'$\')}',
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith(['/*/sendMessage'])] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS',
      RequestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
      RequestTemplates: { $default: Match.stringLikeRegexp('^\\{"requestContext":\\{"routeKey":"regenerate",') },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { SourceArn: { 'Fn::Join': ['', Match.arrayWith(['/*/regenerate'])] } });
    // Their Event invocations answer 202 with no body; each integration maps every answer.
    const asyncIds = Object.keys(template.findResources('AWS::ApiGatewayV2::Integration', { Properties: { IntegrationType: 'AWS' } }));
    expect(asyncIds).toHaveLength(2);
    for (const asyncId of asyncIds) {
      template.hasResourceProperties('AWS::ApiGatewayV2::IntegrationResponse', { IntegrationId: { Ref: asyncId }, IntegrationResponseKey: '$default' });
    }
    template.resourceCountIs('AWS::ApiGatewayV2::IntegrationResponse', 2);
    // The other routes are proxy integrations.
    const proxies = template.findResources('AWS::ApiGatewayV2::Integration', { Properties: { IntegrationType: 'AWS_PROXY' } });
    expect(Object.keys(proxies).length).toBe(5 + 1); // $connect, $disconnect, $default, stop, ping + history
  });

  test('the WebSocket stage is throttled and auto-deployed', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'chat',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  test('the history HTTP API serves PROTOCOL §2 under /api behind a Cognito JWT authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('^ChatAuthWebClient') }],
        Issuer: { 'Fn::Join': ['', Match.arrayWith(['https://cognito-idp.ap-northeast-2.amazonaws.com/'])] },
      },
    });
    for (const key of [
      'GET /api/conversations', 'GET /api/conversations/{id}', 'PATCH /api/conversations/{id}',
      'DELETE /api/conversations/{id}', 'GET /api/conversations/{id}/messages', 'GET /api/instructions', 'PUT /api/instructions',
    ]) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key, AuthorizationType: 'JWT' });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  test('Cognito: no self sign-up, public client with code grant, callback is the site URL, newer managed login', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      DeletionProtection: 'ACTIVE',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      CallbackURLs: [
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatWebDistribution'), 'DomainName'] }]] },
        { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatWebDistribution'), 'DomainName'] }, '/']] },
      ],
      SupportedIdentityProviders: ['COGNITO'],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2 });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { UseCognitoProvidedValues: true });
  });

  test('the bucket is private and SSL-only, read by CloudFront through OAC', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudfront.amazonaws.com' }, Action: 's3:GetObject' }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
    });
  });

  test('CloudFront routes /api/* uncached to the HTTP API with Authorization, and never caches config.json', () => {
    const dist = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as any;
    const config = dist.Properties.DistributionConfig;
    const byPath = Object.fromEntries(config.CacheBehaviors.map((b: any) => [b.PathPattern, b]));
    const cachingDisabled = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
    const allViewerExceptHost = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
    expect(byPath['/api/*']).toMatchObject({
      CachePolicyId: cachingDisabled,
      OriginRequestPolicyId: allViewerExceptHost,
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      ViewerProtocolPolicy: 'https-only',
    });
    expect(byPath['/config.json']).toMatchObject({ CachePolicyId: cachingDisabled });
    const apiOrigin = config.Origins.find((o: any) => o.Id === byPath['/api/*'].TargetOriginId);
    expect(JSON.stringify(apiOrigin.DomainName)).toMatch(/ChatHistoryApi.*execute-api\.ap-northeast-2\./);
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.WebACLId).toBeUndefined();
  });

  test('custom error responses use only status codes CloudFront supports, so the distribution deploys', () => {
    // CloudFront customizes only these codes (Developer Guide, "Create a custom error page for
    // specific HTTP status codes"); CreateDistribution refuses any other, e.g. 401.
    const supported = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];
    const dist = Object.values(template.findResources('AWS::CloudFront::Distribution'))[0] as any;
    const codes = (dist.Properties.DistributionConfig.CustomErrorResponses ?? []).map((r: any) => r.ErrorCode);
    expect(codes.filter((c: number) => !supported.includes(c))).toEqual([]);
    // Nothing but the client and config.json is uploaded: no error page that nothing serves.
    const staged = fs.readdirSync(assemblyDir).filter((d) => fs.existsSync(path.join(assemblyDir, d, 'errors')));
    expect(staged).toEqual([]);
  });

  test('every response carries CSP (own origin, the WebSocket API, Cognito and the attachments bucket only; no inline script), HSTS and frame denial', () => {
    const policies = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy')) as any[];
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      const sec = p.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
      const csp = JSON.stringify(sec.ContentSecurityPolicy.ContentSecurityPolicy);
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/connect-src 'self' ",\{"Fn::GetAtt":\["ChatSocketApi[^"]*","ApiEndpoint"\]\}," https:\/\/chat-/);
      // Then the attachments bucket's own origin, on by default (test/infra/attachments.test.ts checks it exactly).
      expect(csp).toContain('.auth.ap-northeast-2.amazoncognito.com https://cognito-idp.ap-northeast-2.amazonaws.com https://chatbot-');
      expect(csp).toContain("img-src 'self' data: https://chatbot-");
      expect(sec.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true });
      expect(sec.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
      expect(sec.ContentTypeOptions).toMatchObject({ Override: true });
    }
    const cacheControl = policies.map((p) => p.Properties.ResponseHeadersPolicyConfig.CustomHeadersConfig.Items
      .find((h: any) => h.Header === 'Cache-Control'));
    expect(cacheControl).toEqual(expect.arrayContaining([
      { Header: 'Cache-Control', Value: 'no-store', Override: true },
      { Header: 'Cache-Control', Value: 'no-cache', Override: false },
    ]));
  });

  test('deploys the prebuilt client with a config.json matching PROTOCOL §3', () => {
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')) as any[];
    expect(deployments).toHaveLength(1);
    const props = deployments[0].Properties;
    expect(props.SourceObjectKeys).toHaveLength(2); // the client and config.json
    expect(props.DistributionPaths).toEqual(['/*']);
    const { config, markers } = clientConfig(template, assemblyDir);
    expect(config).toMatchObject({
      apiUrl: '/api',
      auth: { mode: 'cognito', region: 'ap-northeast-2' },
      model: { provider: 'bedrock', modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0' },
      limits: { maxInputChars: 16000, maxFrameBytes: 32768 },
    });
    // Deploy-time values: each marker resolves to this stack's resources.
    expect(markers[config.webSocketUrl]).toMatch(/wss:\/\/.*ChatSocketApi.*execute-api\.ap-northeast-2\..*\/chat/);
    expect(markers[config.auth.userPoolId]).toMatch(/"Ref":"ChatAuthUserPool[0-9A-F]+"/);
    expect(markers[config.auth.clientId]).toMatch(/"Ref":"ChatAuthWebClient/);
    expect(markers[config.auth.domain]).toMatch(/https:\/\/.*ChatAuthDomain.*\.auth\.ap-northeast-2\.amazoncognito\.com/);
  });

  test('log groups of every function and the HTTP access log keep logs one month and are retained', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as any[];
    expect(groups.length).toBe(5);
    for (const g of groups) {
      expect(g.Properties.RetentionInDays).toBe(30);
      expect(g.DeletionPolicy).toBe('Retain');
    }
  });

  test('monitoring: a dashboard and alarms on Lambda errors/throttles, WebSocket 5xx, model errors and TTFT p90', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    const names = alarms.map((a) => a.Properties.MetricName ?? 'math');
    // Chat and History errors, MODEL_THROTTLED and MODEL_ERROR; the authorizer's is metric math.
    expect(names.filter((n) => n === 'Errors').length).toBe(2 + 2);
    expect(names.filter((n) => n === 'Throttles').length).toBe(3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'CdkStreamingChatbot',
      Dimensions: Match.arrayWith([{ Name: 'code', Value: 'MODEL_THROTTLED' }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'CdkStreamingChatbot',
      Dimensions: Match.arrayWith([{ Name: 'code', Value: 'MODEL_ERROR' }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TimeToFirstToken', ExtendedStatistic: 'p90', Threshold: 10000, EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'execution + integration' })]),
    });
    // The alarms watch the same service dimension the chat handler emits with.
    const service = chatEnvironment(template).POWERTOOLS_SERVICE_NAME;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TimeToFirstToken', Dimensions: [{ Name: 'service', Value: service }],
    });
    // Refused tokens fail the authorizer (that is how it yields 401) but are not errors.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(errors, 0) - FILL(rejected, 0)' }),
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Errors', Namespace: 'AWS/Lambda' }) }) }),
        Match.objectLike({
          Id: 'rejected',
          MetricStat: Match.objectLike({ Metric: { MetricName: 'TokensRejected', Namespace: 'CdkStreamingChatbot', Dimensions: [{ Name: 'service', Value: service }] } }),
        }),
      ]),
    });
    expect(chatbot.alarms.length).toBe(alarms.length);
  });

  test('outputs the site URL, the WebSocket URL and the user pool id', () => {
    const outputs = template.findOutputs('*');
    const keys = Object.keys(outputs);
    expect(keys.some((k) => k.startsWith('ChatSiteUrl'))).toBe(true);
    expect(keys.some((k) => k.startsWith('ChatWebSocketUrl'))).toBe(true);
    expect(keys.some((k) => k.startsWith('ChatUserPoolId'))).toBe(true);
  });

  test('exposes every created resource', () => {
    for (const key of ['table', 'webSocketApi', 'webSocketStage', 'httpApi', 'chatFunction', 'authorizerFunction',
      'historyFunction', 'userPool', 'userPoolClient', 'userPoolDomain', 'bucket', 'distribution', 'clientDeployment',
      'dashboard', 'siteUrl', 'webSocketUrl'] as const) {
      expect(chatbot[key]).toBeDefined();
    }
  });
});

describe('StreamingChatbot props', () => {
  test('limits, prompt and inference settings reach the chat function', () => {
    const { template, assemblyDir } = synth({
      systemPrompt: '한국어로 답하세요.',
      inferenceConfig: { maxTokens: 2048, temperature: 0.2, topP: 0.9, stopSequences: ['\n\nHuman:'] },
      historyTokenBudget: 4000,
      maxInputChars: 8000,
      rateLimitPerMinute: 5,
      metricsNamespace: 'MyBot',
    });
    const env = chatEnvironment(template);
    expect(env).toMatchObject({
      SYSTEM_PROMPT: '한국어로 답하세요.',
      HISTORY_TOKEN_BUDGET: '4000',
      MAX_INPUT_CHARS: '8000',
      RATE_LIMIT_PER_MINUTE: '5',
      POWERTOOLS_METRICS_NAMESPACE: 'MyBot',
    });
    expect(JSON.parse(env.INFERENCE_CONFIG as string)).toEqual({ maxTokens: 2048, temperature: 0.2, topP: 0.9, stopSequences: ['\n\nHuman:'] });
    expect(clientConfig(template, assemblyDir).config.limits).toEqual({ maxInputChars: 8000, maxFrameBytes: 32768 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'MyBot', MetricName: 'TimeToFirstToken' });
  });

  test('chatTimeout and throttle reach the function and both stages', () => {
    const { template } = synth({ chatTimeout: Duration.minutes(15), throttle: { rateLimit: 7, burstLimit: 9 } });
    template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Chat routes'), Timeout: 900 });
    const stages = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')) as any[];
    expect(stages).toHaveLength(2);
    for (const s of stages) expect(s.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 });
  });

  test('removalPolicy DESTROY removes table, pool, bucket (emptied) and logs, without deletion protection', () => {
    const { template } = synth({ removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.ONE_WEEK, attachments: { enabled: true } });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'INACTIVE' });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    // The site bucket and the attachments bucket.
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    for (const g of Object.values(template.findResources('AWS::Logs::LogGroup')) as any[]) {
      expect(g.DeletionPolicy).toBe('Delete');
      expect(g.Properties.RetentionInDays).toBe(7);
    }
  });

  test('selfSignUpEnabled opens sign-up on the created pool', () => {
    const { template } = synth({ selfSignUpEnabled: true });
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
  });

  test('cognitoDomainPrefix names the managed login domain and the CSP follows it', () => {
    const { template } = synth({ cognitoDomainPrefix: 'my-chat-login' });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'my-chat-login', ManagedLoginVersion: 2 });
    const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any;
    expect(JSON.stringify(policy)).toContain('https://my-chat-login.auth.ap-northeast-2.amazoncognito.com');
  });

  test('webAclArn attaches the WAF web ACL to the distribution', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/abc';
    const { template } = synth({ webAclArn: arn });
    template.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ WebACLId: arn }) });
  });

  test('domain puts the custom name and certificate on the distribution and makes it the callback URL', () => {
    const { template } = synth({}, (stack) => ({
      domain: {
        domainName: 'chat.example.com',
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc'),
      },
    }));
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['chat.example.com'],
        ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }),
      }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://chat.example.com', 'https://chat.example.com/'],
      LogoutURLs: ['https://chat.example.com', 'https://chat.example.com/'],
    });
  });

  test('monitoring can be turned off, and alarm actions and thresholds set', () => {
    const off = synth({ monitoring: { enabled: false } });
    off.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    off.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(off.chatbot.dashboard).toBeUndefined();

    const on = synth({}, (stack) => ({
      monitoring: {
        alarmActions: [new cw_actions.SnsAction(new sns.Topic(stack, 'Alarms'))],
        timeToFirstTokenThreshold: Duration.seconds(4),
        dashboardName: 'chat-dashboard',
      },
    }));
    on.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'chat-dashboard' });
    on.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TimeToFirstToken', Threshold: 4000 });
    for (const alarm of Object.values(on.template.findResources('AWS::CloudWatch::Alarm')) as any[]) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
    }
    expect(on.chatbot.alarms.every((a) => a instanceof cloudwatch.Alarm)).toBe(true);
  });
});
