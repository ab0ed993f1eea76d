// A CDK app that uses the library as a user would: `cd examples && npx cdk synth` (cdk.json builds the
// handler and client assets first, then runs this file).
// In your own app, import from 'cdk-streaming-chatbot' instead of '../src'.
import { App, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { StreamingChatbot } from '../src';

/** One stack with one chatbot: what `cdk deploy` creates. */
export class ChatbotStack extends Stack {
  /** The chatbot, exposed so tests can look at it. */
  public readonly chatbot: StreamingChatbot;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.chatbot = new StreamingChatbot(this, 'Chat', {
      // Answers from Claude Sonnet 4.5 through the global cross-Region profile; titles from Haiku.
      modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      titleModelId: 'global.anthropic.claude-haiku-4-5-20251001-v1:0',
      systemPrompt: '당신은 친절한 한국어 도우미입니다. 사용자가 쓴 언어로 답하세요.',
      inferenceConfig: { maxTokens: 4096, temperature: 0.5 },
      historyTokenBudget: 8000,
      rateLimitPerMinute: 20,
      chatTimeout: Duration.minutes(10),
      // A demo stack: delete everything with `cdk destroy`. Keep the default (RETAIN) in production.
      removalPolicy: RemovalPolicy.DESTROY,
      logRetention: logs.RetentionDays.TWO_WEEKS,
    });
  }
}

/** Builds the example app (the tests call this; `cdk synth` runs the file). */
export function buildApp(app: App = new App()): { app: App; stack: ChatbotStack } {
  const stack = new ChatbotStack(app, 'StreamingChatbotExample', {
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  return { app, stack };
}

if (require.main === module) {
  buildApp().app.synth();
}
