import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { synth } from './fixtures';

const HANGUL = '가'; // 3 bytes of UTF-8

describe('bring-your-own vs create: both forms are an error', () => {
  test('existingTable with tableOptions', () => {
    expect(() => synth({}, (stack) => ({
      existingTable: dynamodb.Table.fromTableName(stack, 'T', 'x'),
      tableOptions: { tableName: 'y' },
    }))).toThrow(/either existingTable or tableOptions, not both/);
  });
  test('existingUserPool with selfSignUpEnabled', () => {
    expect(() => synth({}, (stack) => ({
      existingUserPool: cognito.UserPool.fromUserPoolId(stack, 'P', 'ap-northeast-2_abc'),
      selfSignUpEnabled: true,
    }))).toThrow(/selfSignUpEnabled applies only to a user pool this construct creates/);
  });
  test('existingUserPoolClient without existingUserPool', () => {
    expect(() => synth({}, (stack) => ({
      existingUserPoolClient: cognito.UserPoolClient.fromUserPoolClientId(stack, 'C', 'abc'),
    }))).toThrow(/existingUserPoolClient needs existingUserPool/);
  });
  test('existingUserPoolDomainUrl without existingUserPool, or with cognitoDomainPrefix', () => {
    expect(() => synth({ existingUserPoolDomainUrl: 'https://a.example.com' })).toThrow(/existingUserPoolDomainUrl needs existingUserPool/);
    expect(() => synth({}, (stack) => ({
      existingUserPool: cognito.UserPool.fromUserPoolId(stack, 'P', 'ap-northeast-2_abc'),
      existingUserPoolDomainUrl: 'https://a.example.com',
      cognitoDomainPrefix: 'abc',
    }))).toThrow(/either existingUserPoolDomainUrl or cognitoDomainPrefix, not both/);
    expect(() => synth({}, (stack) => ({
      existingUserPool: cognito.UserPool.fromUserPoolId(stack, 'P', 'ap-northeast-2_abc'),
      existingUserPoolDomainUrl: 'http://a.example.com/login',
    }))).toThrow(/https:\/\/ base URL with no path/);
  });
  test('tableOptions alone names and encrypts the created table', () => {
    const { template } = synth({ tableOptions: { tableName: 'chat-history' } });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'chat-history' });
  });
});

describe('limits, each at its edge and one over (bytes of UTF-8 where text)', () => {
  test('systemPrompt: 2,048 bytes pass, 2,049 fail (Hangul counts 3 bytes)', () => {
    const atEdge = HANGUL.repeat(682) + 'ab'; // 2046 + 2 = 2048 bytes
    expect(Buffer.byteLength(atEdge)).toBe(2048);
    expect(() => synth({ systemPrompt: atEdge })).not.toThrow();
    expect(() => synth({ systemPrompt: atEdge + 'c' })).toThrow(/systemPrompt may be at most 2048 bytes of UTF-8 \(got 2049/);
    expect(() => synth({ systemPrompt: HANGUL.repeat(683) })).toThrow(/got 2049/);
    expect(() => synth({ systemPrompt: '   ' })).toThrow(/systemPrompt must not be empty/);
  });

  test('modelId: 200 bytes pass, 201 fail; spaces and empty ids fail', () => {
    const base = 'anthropic.';
    const atEdge = base + 'x'.repeat(200 - base.length);
    expect(() => synth({ modelId: atEdge })).not.toThrow();
    expect(() => synth({ modelId: atEdge + 'x' })).toThrow(/modelId may be at most 200 bytes/);
    expect(() => synth({ titleModelId: 'anthropic.claude v1' })).toThrow(/titleModelId "anthropic.claude v1" is not a Bedrock model id/);
    expect(() => synth({ modelId: '' })).toThrow(/modelId must not be empty/);
  });

  test('stopSequences: 4 of 64 bytes pass; a 5th, or 65 bytes, or empty fail', () => {
    const at64 = HANGUL.repeat(21) + 'a'; // 63 + 1 = 64 bytes
    expect(Buffer.byteLength(at64)).toBe(64);
    expect(() => synth({ inferenceConfig: { stopSequences: [at64, 'b', 'c', 'd'] } })).not.toThrow();
    expect(() => synth({ inferenceConfig: { stopSequences: ['a', 'b', 'c', 'd', 'e'] } })).toThrow(/at most 4 sequences \(got 5\)/);
    expect(() => synth({ inferenceConfig: { stopSequences: [at64 + 'a'] } })).toThrow(/stopSequences\[0\] may be at most 64 bytes of UTF-8 \(got 65/);
    expect(() => synth({ inferenceConfig: { stopSequences: [''] } })).toThrow(/stopSequences\[0\] must not be empty/);
  });

  test.each([
    ['maxTokens', 1, 65_536],
  ])('inferenceConfig.%s: %d…%d pass, outside or fractional fail', (name, min, max) => {
    expect(() => synth({ inferenceConfig: { [name]: min } })).not.toThrow();
    expect(() => synth({ inferenceConfig: { [name]: max } })).not.toThrow();
    expect(() => synth({ inferenceConfig: { [name]: min - 1 } })).toThrow(new RegExp(`inferenceConfig.${name} must be an integer from ${min} to ${max}`));
    expect(() => synth({ inferenceConfig: { [name]: max + 1 } })).toThrow(/must be an integer/);
    expect(() => synth({ inferenceConfig: { [name]: 1.5 } })).toThrow(/must be an integer/);
  });

  test.each(['temperature', 'topP'])('inferenceConfig.%s: 0 and 1 pass, -0.01 and 1.01 fail', (name) => {
    expect(() => synth({ inferenceConfig: { [name]: 0 } })).not.toThrow();
    expect(() => synth({ inferenceConfig: { [name]: 1 } })).not.toThrow();
    expect(() => synth({ inferenceConfig: { [name]: -0.01 } })).toThrow(new RegExp(`inferenceConfig.${name} must be a number from 0 to 1`));
    expect(() => synth({ inferenceConfig: { [name]: 1.01 } })).toThrow(/from 0 to 1/);
  });

  test.each([
    ['historyTokenBudget', 500, 200_000],
    ['maxInputChars', 1, 64_000],
    ['rateLimitPerMinute', 1, 1_000],
  ] as const)('%s: %d…%d pass, one outside fails', (name, min, max) => {
    expect(() => synth({ [name]: min })).not.toThrow();
    expect(() => synth({ [name]: max })).not.toThrow();
    expect(() => synth({ [name]: min - 1 })).toThrow(new RegExp(`${name} must be an integer from ${min} to ${max} \\(got ${min - 1}\\)`));
    expect(() => synth({ [name]: max + 1 })).toThrow(new RegExp(`got ${max + 1}`));
  });

  test('chatTimeout: 1 and 15 minutes pass, 59 s and 901 s fail', () => {
    expect(() => synth({ chatTimeout: Duration.minutes(1) })).not.toThrow();
    expect(() => synth({ chatTimeout: Duration.minutes(15) })).not.toThrow();
    expect(() => synth({ chatTimeout: Duration.seconds(59) })).toThrow(/chatTimeout must be from 1 to 15 minutes \(got 59 s\)/);
    expect(() => synth({ chatTimeout: Duration.seconds(901) })).toThrow(/got 901 s/);
  });

  test('cognitoDomainPrefix: 63 characters pass, 64 fail; forbidden words and characters fail', () => {
    expect(() => synth({ cognitoDomainPrefix: 'a'.repeat(63) })).not.toThrow();
    expect(() => synth({ cognitoDomainPrefix: 'a'.repeat(64) })).toThrow(/cognitoDomainPrefix "a{64}" must be 1-63/);
    for (const bad of ['my-aws-chat', 'amazonchat', 'cognito1', 'Chat', '-chat', 'chat-']) {
      expect(() => synth({ cognitoDomainPrefix: bad })).toThrow(/cognitoDomainPrefix/);
    }
  });

  test('metricsNamespace: 255 characters pass, 256 fail; AWS/ namespaces fail', () => {
    expect(() => synth({ metricsNamespace: 'N'.repeat(255) })).not.toThrow();
    expect(() => synth({ metricsNamespace: 'N'.repeat(256) })).toThrow(/metricsNamespace "N{256}" must be 1-255/);
    expect(() => synth({ metricsNamespace: 'AWS/Lambda' })).toThrow(/not be an AWS\/ namespace/);
    expect(() => synth({ metricsNamespace: '챗봇' })).toThrow(/metricsNamespace/);
  });

  test('tableOptions.tableName: 3 and 255 characters pass, 2 and 256 fail', () => {
    expect(() => synth({ tableOptions: { tableName: 'abc' } })).not.toThrow();
    expect(() => synth({ tableOptions: { tableName: 't'.repeat(255) } })).not.toThrow();
    expect(() => synth({ tableOptions: { tableName: 'ab' } })).toThrow(/tableOptions.tableName "ab" must be 3-255/);
    expect(() => synth({ tableOptions: { tableName: 't'.repeat(256) } })).toThrow(/must be 3-255/);
  });

  test('webAclArn must be a CLOUDFRONT-scoped WAFv2 ACL', () => {
    expect(() => synth({ webAclArn: 'arn:aws:wafv2:ap-northeast-2:123456789012:regional/webacl/x/y' })).toThrow(/CLOUDFRONT scope/);
  });
});

describe('the chat function environment fits Lambda\'s 4 KB, measured as Lambda does (JSON of the map)', () => {
  // A named existing table leaves no deploy-time value in the environment, so every byte is known
  // (attachments off: their bucket's name is one, which the check counts at 255 bytes).
  const build = (systemPrompt?: string) => (stack: Stack) => ({
    existingTable: dynamodb.Table.fromTableName(stack, 'T', 'chat-table'),
    attachments: { enabled: false },
    modelId: 'apac.anthropic.claude-sonnet-4-20250514-v1:0',
    inferenceConfig: { stopSequences: ['\n\nHuman:', '"end"'] },
    systemPrompt,
  });
  const environmentJsonBytes = (template: ReturnType<typeof synth>['template']) => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Chat routes') } }))[0] as any;
    return Buffer.byteLength(JSON.stringify(fn.Properties.Environment.Variables));
  };

  test('4,096 bytes pass and 4,097 fail, with every prop inside its own limit', () => {
    // Quotes take 2 bytes in JSON: a 2,048-byte prompt of quotes and letters fills the rest exactly.
    const base = environmentJsonBytes(synth({}, build()).template) + Buffer.byteLength(',"SYSTEM_PROMPT":""');
    const room = 4096 - base;
    const quotes = room - 2048;
    expect(quotes).toBeGreaterThan(0);
    const atEdge = '"'.repeat(quotes) + 'a'.repeat(2048 - quotes);
    const { template } = synth({}, build(atEdge));
    expect(environmentJsonBytes(template)).toBe(4096);
    const over = '"'.repeat(quotes + 1) + 'a'.repeat(2047 - quotes);
    expect(Buffer.byteLength(over)).toBe(2048); // within the systemPrompt limit
    expect(() => synth({}, build(over))).toThrow(/chat function environment would be 4097 bytes as JSON; Lambda allows 4096/);
  });
});
