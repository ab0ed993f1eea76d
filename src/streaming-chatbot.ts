import { CfnOutput, Duration, Lazy, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { clientAttachmentsConfig } from './contract/attachments';
import { ATTACHMENTS_ENV, attachmentsToEnv } from './contract/attachments-env';
import { chatToEnv, cognitoAuthToEnv, historyToEnv, telemetryToEnv } from './contract/env';
import { DEFAULT_METRICS_NAMESPACE } from './contract/metrics';
import { DEFAULT_MODEL_ID, DEFAULT_TITLE_MODEL_ID } from './contract/models';
import { ClientConfig, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_INPUT_CHARS } from './contract/protocol';
import { HISTORY_API_PREFIX } from './contract/routes';
import { AttachmentsBucket } from './infra/attachments-bucket';
import { ConversationTable } from './infra/conversation-table';
import { HistoryApi } from './infra/history-api';
import * as limits from './infra/limits';
import { LogSettings } from './infra/log-group';
import { grantModelInvoke, MODEL_REGION_WILDCARD } from './infra/model-access';
import { Monitoring } from './infra/monitoring';
import { acknowledgeWildcards, defaultPolicyOf } from './infra/nag';
import { Auth, defaultDomainPrefix, prefixDomainUrl } from './infra/sign-in';
import { SocketApi } from './infra/socket-api';
import { WebClient } from './infra/web-client';
import { ChatModelLabel, InferenceConfig, StreamingChatbotProps } from './streaming-chatbot-props';

/** Defaults of the deployment itself; the handlers' own defaults are in src/contract. */
const DEFAULTS = {
  chatTimeout: Duration.minutes(10),
  throttle: { rateLimit: 50, burstLimit: 100 },
  stageName: 'chat',
};

/**
 * A streaming, Korean-first chatbot on Amazon Bedrock: WebSocket API + Lambda streaming
 * answers, DynamoDB history, Cognito sign-in, and the web client on S3 + CloudFront.
 */
export class StreamingChatbot extends Construct {
  /** Conversations and messages, one item per message. */
  public readonly table: dynamodb.ITable;
  /** The WebSocket API the client streams over. */
  public readonly webSocketApi: apigwv2.WebSocketApi;
  /** The WebSocket API's stage. */
  public readonly webSocketStage: apigwv2.WebSocketStage;
  /** The history HTTP API (behind CloudFront `/api/*`). */
  public readonly httpApi: apigwv2.HttpApi;
  /** Handles the WebSocket routes and streams answers. */
  public readonly chatFunction: lambda.Function;
  /** Verifies the ID token at WebSocket `$connect`. */
  public readonly authorizerFunction: lambda.Function;
  /** Serves the history HTTP routes. */
  public readonly historyFunction: lambda.Function;
  /** The user pool whose users may chat. */
  public readonly userPool: cognito.IUserPool;
  /** The web client's app client. */
  public readonly userPoolClient: cognito.IUserPoolClient;
  /** The managed login domain, when created by this construct. */
  public readonly userPoolDomain?: cognito.UserPoolDomain;
  /** Holds the web client. */
  public readonly bucket: s3.Bucket;
  /** Serves the web client and `/api/*`. */
  public readonly distribution: cloudfront.Distribution;
  /** Uploads the web client and `config.json`. */
  public readonly clientDeployment: s3deploy.BucketDeployment;
  /** The dashboard, unless monitoring is disabled. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** The alarms (empty when monitoring is disabled). */
  public readonly alarms: cloudwatch.Alarm[];
  /** Holds the attachments, unless they are turned off. */
  public readonly attachmentsBucket?: s3.Bucket;
  /** The site's URL (`https://…`). */
  public readonly siteUrl: string;
  /** The WebSocket URL (`wss://…/chat`). */
  public readonly webSocketUrl: string;

  constructor(scope: Construct, id: string, props: StreamingChatbotProps = {}) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logSettings: LogSettings = { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH, removalPolicy };
    const models = chatModels(props);
    const modelId = (models.find((m) => m.isDefault) ?? models[0]).modelId;
    const titleModelId = props.titleModelId ?? DEFAULT_TITLE_MODEL_ID;
    const maxInputChars = props.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS;
    const throttle = props.throttle ?? DEFAULTS.throttle;
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    // Unique per construct instance, so two chatbots in one account keep separate metrics.
    const service = Names.uniqueResourceName(this, { maxLength: 64 });

    const conversations = new ConversationTable(this, 'Conversations', {
      existingTable: props.existingTable,
      tableName: props.tableOptions?.tableName,
      encryptionKey: props.tableOptions?.encryptionKey,
      removalPolicy,
    });
    this.table = conversations.table;

    const powertools = telemetryToEnv({ serviceName: service, namespace });
    // The attachments bucket is made after the site (its CORS names the site); its name is read lazily,
    // so both functions' environments (and the chat one's size check) include it from the start.
    const attachmentsOn = props.attachments?.enabled ?? true;
    const attachmentsName = attachmentsOn ? AttachmentsBucket.nameFor(this) : undefined;
    let attachments: AttachmentsBucket | undefined;
    const attachmentsEnv = attachmentsOn ? attachmentsToEnv({
      bucket: Lazy.string({ produce: () => attachments!.bucket.bucketName }),
      maxUploadsPerDay: props.attachments?.maxUploadsPerDay,
      maxUploadBytesPerDay: props.attachments?.maxUploadBytesPerDay,
    }) : {};
    const chatEnvironment = {
      ...powertools,
      // The chat function reads the bucket only (the daily bound is the history function's).
      ...(attachmentsOn ? { [ATTACHMENTS_ENV.bucket]: attachmentsEnv[ATTACHMENTS_ENV.bucket] } : {}),
      ...chatToEnv({
        tableName: this.table.tableName,
        modelId,
        models: props.models ? models.map((m) => ({ modelId: m.modelId, label: m.label, inferenceConfig: m.inferenceConfig ?? {} })) : undefined,
        titleModelId,
        systemPrompt: props.systemPrompt,
        inferenceConfig: models.find((m) => m.modelId === modelId)!.inferenceConfig,
        historyTokenBudget: props.historyTokenBudget,
        maxInputChars,
        rateLimitPerMinute: props.rateLimitPerMinute,
      }),
    };
    limits.checkEnvironmentSize('chat function', chatEnvironment);

    const socket = new SocketApi(this, 'Socket', {
      chatEnvironment,
      authorizerEnvironment: powertools,
      chatTimeout: props.chatTimeout ?? DEFAULTS.chatTimeout,
      chatMemorySize: 512,
      throttle,
      logs: logSettings,
      stageName: DEFAULTS.stageName,
    });
    this.webSocketApi = socket.api;
    this.webSocketStage = socket.stage;
    this.chatFunction = socket.chatFunction;
    this.authorizerFunction = socket.authorizerFunction;
    this.webSocketUrl = socket.url;
    conversations.grantData(this.chatFunction);
    grantModelInvoke(this, this.chatFunction, [...models.map((m) => m.modelId), titleModelId]);

    const history = new HistoryApi(this, 'History', {
      environment: { ...powertools, ...historyToEnv({ tableName: this.table.tableName }), ...attachmentsEnv },
      throttle,
      logs: logSettings,
    });
    this.httpApi = history.api;
    this.historyFunction = history.historyFunction;
    conversations.grantData(this.historyFunction);

    // CloudFormation resolves these in dependency order, but the constructs need them in a
    // cycle: the distribution's CSP names the sign-in domain, and the sign-in client's callback
    // names the distribution. The domain URL is therefore computed, not read from the domain.
    const domainPrefix = props.cognitoDomainPrefix ?? defaultDomainPrefix(this);
    const authDomainUrl = props.existingUserPoolDomainUrl?.replace(/\/+$/, '') ?? prefixDomainUrl(this, domainPrefix);
    const web = new WebClient(this, 'Web', {
      apiDomainName: history.domainName,
      webSocketUrl: socket.api.apiEndpoint,
      authDomainUrl,
      customDomain: props.domain,
      webAclArn: props.webAclArn,
      removalPolicy,
      logs: logSettings,
      attachmentsOrigin: attachmentsName ? AttachmentsBucket.originOf(this, attachmentsName) : undefined,
    });
    this.bucket = web.bucket;
    this.distribution = web.distribution;
    this.siteUrl = web.siteUrl;

    // Attachments (docs/PROTOCOL.md §15): a bucket whose CORS answers only the site.
    if (attachmentsOn) {
      attachments = new AttachmentsBucket(this, 'Attachments', { siteUrl: this.siteUrl, removalPolicy, bucketName: attachmentsName! });
      this.attachmentsBucket = attachments.bucket;
      attachments.grantHistory(this.historyFunction);
      attachments.grantChat(this.chatFunction);
    }
    acknowledgeWildcards(defaultPolicyOf(this.chatFunction.role)!,
      [MODEL_REGION_WILDCARD, SocketApi.CONNECTIONS_WILDCARD, ConversationTable.KMS_WILDCARDS, AttachmentsBucket.OBJECTS_WILDCARD]);
    acknowledgeWildcards(defaultPolicyOf(this.historyFunction.role)!, [ConversationTable.KMS_WILDCARDS, AttachmentsBucket.OBJECTS_WILDCARD]);

    const auth = new Auth(this, 'Auth', {
      siteUrl: this.siteUrl,
      existingUserPool: props.existingUserPool,
      existingUserPoolClient: props.existingUserPoolClient,
      existingUserPoolDomainUrl: props.existingUserPoolDomainUrl,
      selfSignUpEnabled: props.selfSignUpEnabled ?? false,
      domainPrefix,
      removalPolicy,
    });
    this.userPool = auth.userPool;
    this.userPoolClient = auth.userPoolClient;
    this.userPoolDomain = auth.userPoolDomain;
    history.addAuthorizedRoutes(this.userPool, this.userPoolClient);
    const cognitoEnv = cognitoAuthToEnv({ userPoolId: this.userPool.userPoolId, clientId: this.userPoolClient.userPoolClientId });
    for (const [name, value] of Object.entries(cognitoEnv)) this.authorizerFunction.addEnvironment(name, value);

    const config: ClientConfig = {
      webSocketUrl: this.webSocketUrl,
      apiUrl: HISTORY_API_PREFIX,
      auth: {
        mode: 'cognito',
        region: stack.region,
        userPoolId: this.userPool.userPoolId,
        clientId: this.userPoolClient.userPoolClientId,
        domain: auth.domainUrl,
      },
      model: { provider: 'bedrock', modelId },
      models: models.map((m) => ({ modelId: m.modelId, label: { ko: m.label.ko, en: m.label.en } })),
      defaultModelId: modelId,
      limits: { maxInputChars, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES },
      ...(attachmentsOn ? { attachments: clientAttachmentsConfig() } : {}),
    };
    this.clientDeployment = web.deploy(config);

    if (props.monitoring?.enabled ?? true) {
      const monitoring = new Monitoring(this, 'Monitoring', {
        namespace,
        service,
        functions: { Chat: this.chatFunction, Authorizer: this.authorizerFunction, History: this.historyFunction },
        authorizer: 'Authorizer',
        webSocketApiId: this.webSocketApi.apiId,
        webSocketStage: this.webSocketStage.stageName,
        timeToFirstTokenThreshold: props.monitoring?.timeToFirstTokenThreshold ?? Duration.seconds(10),
        alarmActions: props.monitoring?.alarmActions ?? [],
        dashboardName: props.monitoring?.dashboardName,
      });
      this.dashboard = monitoring.dashboard;
      this.alarms = monitoring.alarms;
    } else {
      this.alarms = [];
    }

    new CfnOutput(this, 'SiteUrl', { value: this.siteUrl, description: 'Open this in a browser to chat' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketUrl, description: 'WebSocket endpoint (needs ?token=<Cognito ID token>)' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Create users here' });
  }
}

/** A model of the chatbot with its effective inference parameters. */
interface EffectiveModel {
  readonly modelId: string;
  readonly label: ChatModelLabel;
  readonly inferenceConfig?: InferenceConfig;
  readonly isDefault: boolean;
}

/** The models a conversation may use, each with its effective inference parameters. */
function chatModels(props: StreamingChatbotProps): EffectiveModel[] {
  if (!props.models) {
    const modelId = props.modelId ?? DEFAULT_MODEL_ID;
    return [{ modelId, label: { ko: modelId, en: modelId }, inferenceConfig: props.inferenceConfig, isDefault: true }];
  }
  const single = props.models.length === 1;
  return props.models.map((m) => ({
    modelId: m.modelId,
    label: { ko: m.label.ko, en: m.label.en },
    inferenceConfig: m.inferenceConfig ?? props.inferenceConfig,
    isDefault: single || m.isDefault === true,
  }));
}

function validate(props: StreamingChatbotProps): void {
  if (props.existingTable && props.tableOptions) {
    throw new Error('Give either existingTable or tableOptions, not both: tableOptions configures a table this construct creates.');
  }
  if (props.existingUserPool && props.selfSignUpEnabled !== undefined) {
    throw new Error('selfSignUpEnabled applies only to a user pool this construct creates; configure sign-up on existingUserPool itself.');
  }
  if (props.existingUserPoolClient && !props.existingUserPool) {
    throw new Error('existingUserPoolClient needs existingUserPool (the pool the client belongs to).');
  }
  if (props.existingUserPoolDomainUrl !== undefined) {
    if (!props.existingUserPool) throw new Error('existingUserPoolDomainUrl needs existingUserPool (the pool the domain belongs to).');
    if (props.cognitoDomainPrefix !== undefined) {
      throw new Error('Give either existingUserPoolDomainUrl or cognitoDomainPrefix, not both: the prefix names a domain this construct creates.');
    }
    if (!/^https:\/\/[^/\s]+\/?$/.test(props.existingUserPoolDomainUrl)) {
      throw new Error(`existingUserPoolDomainUrl must be an https:// base URL with no path, got "${props.existingUserPoolDomainUrl}".`);
    }
  }
  if (props.models !== undefined && props.modelId !== undefined) {
    throw new Error('Give either modelId or models, not both: modelId is a list of one model (put it in models).');
  }
  limits.checkModelId('modelId', props.modelId);
  limits.checkModels(props.models);
  limits.checkModelId('titleModelId', props.titleModelId);
  limits.checkText('systemPrompt', props.systemPrompt, limits.PROP_LIMITS.systemPromptBytes);
  limits.checkInferenceConfig('inferenceConfig', props.inferenceConfig);
  limits.checkInteger('historyTokenBudget', props.historyTokenBudget, limits.PROP_LIMITS.historyTokenBudget);
  limits.checkInteger('maxInputChars', props.maxInputChars, limits.PROP_LIMITS.maxInputChars);
  limits.checkInteger('rateLimitPerMinute', props.rateLimitPerMinute, limits.PROP_LIMITS.rateLimitPerMinute);
  limits.checkChatTimeout(props.chatTimeout);
  limits.checkDomainPrefix(props.cognitoDomainPrefix);
  limits.checkWebAclArn(props.webAclArn);
  limits.checkNamespace(props.metricsNamespace);
  limits.checkTableName(props.tableOptions?.tableName);
  limits.checkInteger('attachments.maxUploadsPerDay', props.attachments?.maxUploadsPerDay, { min: 1, max: 10_000 });
  limits.checkInteger('attachments.maxUploadBytesPerDay', props.attachments?.maxUploadBytesPerDay, { min: 1_000_000, max: 10_000_000_000 });
}
