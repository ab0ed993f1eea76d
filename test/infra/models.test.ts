import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { actionsOf, clientConfig, policyStatements, resourcesOf, synth } from './fixtures';
import { ChatModel } from '../../src';
import { chatFromEnv, ENV } from '../../src/contract/env';

// The `models` prop: the models a user may pick per conversation. IAM grants exactly those (and
// the title model), the chat function gets the list in its typed environment, the client in
// config.json, and every malformed list is refused at synth with a clear error.

const HANGUL = '가'; // 3 bytes of UTF-8

const SONNET = 'apac.anthropic.claude-sonnet-4-20250514-v1:0';
const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const NOVA = 'amazon.nova-micro-v1:0';
const PROFILE_ARN = 'arn:aws:bedrock:ap-northeast-2:123456789012:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0';
const APP_PROFILE_ARN = 'arn:aws:bedrock:ap-northeast-2:123456789012:application-inference-profile/a1b2c3d4e5f6';

const MODELS: ChatModel[] = [
  { modelId: SONNET, label: { ko: '강력한 모델', en: 'Strong' }, isDefault: true },
  { modelId: HAIKU, label: { ko: '빠른 모델', en: 'Fast' }, inferenceConfig: { maxTokens: 1024, temperature: 0.2 } },
  { modelId: PROFILE_ARN, label: { ko: '글로벌 하이쿠', en: 'Global Haiku' } },
  { modelId: APP_PROFILE_ARN, label: { ko: '앱 프로필', en: 'App profile' } },
];

/** Bedrock resources of the one Bedrock statement, rendered as text with the partition named. */
function bedrockResources(template: ReturnType<typeof synth>['template']): string[] {
  const statements = policyStatements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
  expect(statements).toHaveLength(1);
  return resourcesOf(statements[0]).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)).replace(/\{"Fn::Join":\["",\[|\]\]\}|"|\{|\}/g, '').replace(/,?Ref:AWS::Partition,?/g, 'PARTITION'));
}

function chatVariables(template: ReturnType<typeof synth>['template']): Record<string, string> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Chat routes') } }))[0] as any;
  return fn.Properties.Environment.Variables;
}

describe('models: several ids, a profile id, a profile ARN and an application profile ARN', () => {
  const { template, assemblyDir } = synth({ models: MODELS, titleModelId: NOVA });

  test('IAM lists exactly the configured models and the title model', () => {
    expect(bedrockResources(template).sort()).toEqual([
      APP_PROFILE_ARN,
      PROFILE_ARN,
      // The profile ARN names its partition; the ids get the stack's.
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:PARTITION:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
      `arn:PARTITION:bedrock:ap-northeast-2:123456789012:inference-profile/${SONNET}`,
      `arn:PARTITION:bedrock:ap-northeast-2::foundation-model/${HAIKU}`,
      `arn:PARTITION:bedrock:ap-northeast-2::foundation-model/${NOVA}`,
    ].sort());
  });

  test('the chat function reads the list back from its environment: the default, labels, each model\'s inference parameters', () => {
    const variables = chatVariables(template);
    expect(variables[ENV.modelId]).toBe(SONNET);
    const env = chatFromEnv({ ...variables, [ENV.tableName]: 'chat-table' });
    expect(env.modelId).toBe(SONNET);
    expect(env.models).toEqual([
      { modelId: SONNET, label: { ko: '강력한 모델', en: 'Strong' }, inferenceConfig: {} },
      { modelId: HAIKU, label: { ko: '빠른 모델', en: 'Fast' }, inferenceConfig: { maxTokens: 1024, temperature: 0.2 } },
      { modelId: PROFILE_ARN, label: { ko: '글로벌 하이쿠', en: 'Global Haiku' }, inferenceConfig: {} },
      { modelId: APP_PROFILE_ARN, label: { ko: '앱 프로필', en: 'App profile' }, inferenceConfig: {} },
    ]);
  });

  test('config.json carries the list in order and the default; model stays the default model', () => {
    const { config } = clientConfig(template, assemblyDir);
    expect(config.models).toEqual(MODELS.map((m) => ({ modelId: m.modelId, label: m.label })));
    expect(config.defaultModelId).toBe(SONNET);
    expect(config.model).toEqual({ provider: 'bedrock', modelId: SONNET });
  });
});

describe('models and the other model props', () => {
  test('a model without its own inferenceConfig uses the chatbot\'s; the default\'s is INFERENCE_CONFIG', () => {
    const { template } = synth({
      inferenceConfig: { maxTokens: 2000 },
      models: [
        { modelId: HAIKU, label: { ko: '빠른', en: 'Fast' }, inferenceConfig: { temperature: 0 }, isDefault: true },
        { modelId: NOVA, label: { ko: '노바', en: 'Nova' } },
      ],
    });
    const variables = chatVariables(template);
    expect(JSON.parse(variables[ENV.inferenceConfig])).toEqual({ temperature: 0 });
    expect(JSON.parse(variables[ENV.models]).map((m: any) => m.inferenceConfig)).toEqual([{ temperature: 0 }, { maxTokens: 2000 }]);
  });

  test('a list of one needs no isDefault; modelId alone keeps working as a list of one (no MODELS variable)', () => {
    const one = chatVariables(synth({ models: [{ modelId: HAIKU, label: { ko: '하이쿠', en: 'Haiku' } }] }).template);
    expect(one[ENV.modelId]).toBe(HAIKU);
    expect(JSON.parse(one[ENV.models])).toEqual([{ modelId: HAIKU, label: { ko: '하이쿠', en: 'Haiku' }, inferenceConfig: {} }]);

    const { template, assemblyDir } = synth({ modelId: HAIKU, titleModelId: HAIKU });
    const legacy = chatVariables(template);
    expect(legacy[ENV.models]).toBeUndefined();
    expect(chatFromEnv({ ...legacy, [ENV.tableName]: 't' }).models).toBeUndefined();
    expect(bedrockResources(template)).toEqual([`arn:PARTITION:bedrock:ap-northeast-2::foundation-model/${HAIKU}`]);
    expect(clientConfig(template, assemblyDir).config.models).toEqual([{ modelId: HAIKU, label: { ko: HAIKU, en: HAIKU } }]);
  });
});

describe('models: a malformed list is refused at synth', () => {
  const model = (modelId: string, extra: Partial<ChatModel> = {}): ChatModel => ({ modelId, label: { ko: '모델', en: 'Model' }, ...extra });

  test('both modelId and models', () => {
    expect(() => synth({ modelId: HAIKU, models: [model(HAIKU)] })).toThrow(/either modelId or models, not both/);
  });
  test('no default among several', () => {
    expect(() => synth({ models: [model(HAIKU), model(NOVA)] })).toThrow(/models needs one model with isDefault: true/);
  });
  test('two defaults', () => {
    expect(() => synth({ models: [model(HAIKU, { isDefault: true }), model(NOVA, { isDefault: true })] }))
      .toThrow(/models has 2 models with isDefault: true; exactly one may be the default/);
  });
  test('the same id twice', () => {
    expect(() => synth({ models: [model(HAIKU, { isDefault: true }), model(NOVA), model(HAIKU)] })).toThrow(/models lists "anthropic.claude-3-5-haiku-20241022-v1:0" twice \(models\[2\]\)/);
  });
  test('empty or blank labels', () => {
    expect(() => synth({ models: [{ modelId: HAIKU, label: { ko: '', en: 'Haiku' } }] })).toThrow(/models\[0\].label.ko must not be empty/);
    expect(() => synth({ models: [{ modelId: HAIKU, label: { ko: '하이쿠', en: '  ' } }] })).toThrow(/models\[0\].label.en must not be empty/);
  });
  test('an empty list, and 20 models pass while 21 fail', () => {
    expect(() => synth({ models: [] })).toThrow(/models must list 1 to 20 models \(got 0\)/);
    const many = (n: number) => Array.from({ length: n }, (_, i) => model(`m.m${i}`, { isDefault: i === 0 }));
    expect(() => synth({ models: many(20) })).not.toThrow();
    expect(() => synth({ models: many(21) })).toThrow(/models must list 1 to 20 models \(got 21\)/);
  });
  test('a label of 64 bytes passes, 65 fail (21 Hangul + 1 ASCII is the edge)', () => {
    expect(() => synth({ models: [{ modelId: HAIKU, label: { ko: `${HANGUL.repeat(21)}a`, en: 'a'.repeat(64) } }] })).not.toThrow();
    expect(() => synth({ models: [{ modelId: HAIKU, label: { ko: `${HANGUL.repeat(21)}ab`, en: 'Haiku' } }] }))
      .toThrow(/models\[0\].label.ko may be at most 64 bytes of UTF-8 \(got 65/);
  });
  test('each model id and inference config follows the rules of modelId and inferenceConfig', () => {
    expect(() => synth({ models: [model('not a model id')] })).toThrow(/models\[0\].modelId "not a model id" is not a Bedrock model id/);
    expect(() => synth({ models: [model(HAIKU, { inferenceConfig: { temperature: 1.5 } })] })).toThrow(/models\[0\].inferenceConfig.temperature must be a number from 0 to 1/);
    expect(() => synth({ models: [model(HAIKU, { inferenceConfig: { stopSequences: ['a', 'b', 'c', 'd', 'e'] } })] }))
      .toThrow(/models\[0\].inferenceConfig.stopSequences may hold at most 4 sequences/);
  });
  test('a list that overflows the chat function\'s 4 KB environment is refused by the environment check', () => {
    const long = (i: number) => `m${i}.${'x'.repeat(190)}`;
    expect(() => synth({}, (stack: Stack) => ({
      existingTable: dynamodb.Table.fromTableName(stack, 'T', 'chat-table'),
      models: Array.from({ length: 20 }, (_, i) => model(long(i), { isDefault: i === 0 })),
    }))).toThrow(/chat function environment would be \d+ bytes as JSON; Lambda allows 4096/);
  });
});
