import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { actionsOf, ENV, policyStatements, resourcesOf, synth } from './fixtures';
import { modelResources } from '../../src/infra/model-access';

/** Bedrock statements of the template, with their resources rendered as text. */
function bedrockResources(template: ReturnType<typeof synth>['template']): string[] {
  const statements = policyStatements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
  expect(statements).toHaveLength(1);
  expect(actionsOf(statements[0]).sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
  return resourcesOf(statements[0]).map((r) => (typeof r === 'string' ? r : JSON.stringify(r)).replace(/\{"Fn::Join":\["",\[|\]\]\}|"|\{|\}/g, '').replace(/,?Ref:AWS::Partition,?/g, 'PARTITION'));
}

describe('IAM is scoped to this chatbot', () => {
  const { template } = synth();

  test('no bedrock, execute-api or dynamodb action is allowed on "*"', () => {
    for (const s of policyStatements(template)) {
      const scoped = actionsOf(s).some((a) => /^(bedrock|execute-api|dynamodb):/.test(a));
      if (!scoped) continue;
      for (const r of resourcesOf(s)) expect(r).not.toBe('*');
      for (const a of actionsOf(s)) expect(a).not.toMatch(/\*/);
    }
  });

  test('the chat function may only ManageConnections on this API\'s own stage', () => {
    const statements = policyStatements(template).filter((s) => actionsOf(s).includes('execute-api:ManageConnections'));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/execute-api:ap-northeast-2:123456789012:",\{"Ref":"ChatSocketApi[0-9A-F]+"\},"\/chat\/\*\/@connections\/\*"/);
  });

  test('table grants name the table and its byUpdated index only, with item actions only', () => {
    const statements = policyStatements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(statements).toHaveLength(2); // chat and history
    for (const s of statements) {
      // Exactly what core/store, parts and rate-limit send: no transactions.
      expect(actionsOf(s).sort()).toEqual([
        'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      ]);
      expect(actionsOf(s)).not.toContain('dynamodb:Scan');
      expect(actionsOf(s)).not.toContain('dynamodb:DeleteTable');
      expect(JSON.stringify(s.Resource)).toMatch(/"\/index\/byUpdated"/);
      expect(JSON.stringify(s.Resource)).not.toMatch(/index\/\*/);
    }
  });

  test('default models: the global profiles and the foundation models they route to (any Region and Region-less)', () => {
    expect(bedrockResources(template).sort()).toEqual([
      'arn:PARTITION:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:PARTITION:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:PARTITION:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:PARTITION:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0',
      'arn:PARTITION:bedrock:ap-northeast-2:123456789012:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:PARTITION:bedrock:ap-northeast-2:123456789012:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ]);
  });

  test('a foundation-model id is granted as that one model in this Region', () => {
    const id = 'anthropic.claude-3-5-haiku-20241022-v1:0';
    const { template: t } = synth({ modelId: id, titleModelId: id });
    expect(bedrockResources(t)).toEqual([`arn:PARTITION:bedrock:ap-northeast-2::foundation-model/${id}`]);
  });

  test('a geo inference profile id is granted as the profile plus its model in any Region, never Region-less', () => {
    const { template: t } = synth({ modelId: 'apac.anthropic.claude-sonnet-4-20250514-v1:0', titleModelId: 'amazon.nova-micro-v1:0' });
    expect(bedrockResources(t).sort()).toEqual([
      'arn:PARTITION:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:PARTITION:bedrock:ap-northeast-2:123456789012:inference-profile/apac.anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:PARTITION:bedrock:ap-northeast-2::foundation-model/amazon.nova-micro-v1:0',
    ]);
  });

  test('a system inference profile given as an ARN is granted with the models it routes to, like its id', () => {
    const arn = 'arn:aws:bedrock:ap-northeast-2:123456789012:inference-profile/apac.anthropic.claude-sonnet-4-20250514-v1:0';
    const global = 'arn:aws:bedrock:ap-northeast-2:123456789012:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0';
    const { template: t } = synth({ modelId: arn, titleModelId: global });
    expect(bedrockResources(t).sort()).toEqual([
      arn,
      global,
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    ].sort());
  });

  test('a full ARN (application inference profile) is granted exactly as given', () => {
    const arn = 'arn:aws:bedrock:ap-northeast-2:123456789012:application-inference-profile/abc123';
    const { template: t } = synth({ modelId: arn, titleModelId: arn });
    expect(bedrockResources(t)).toEqual([arn]);
  });
});

describe('modelResources', () => {
  const stack = new Stack(new App(), 'S', { env: ENV });
  test.each(['us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca', 'global'])('"%s." ids are inference profiles', (prefix) => {
    expect(modelResources(stack, `${prefix}.anthropic.claude-x-v1:0`).kind).toBe('inference-profile');
  });
  test('other dotted ids are foundation models', () => {
    expect(modelResources(stack, 'meta.llama3-1-70b-instruct-v1:0').kind).toBe('foundation-model');
    expect(modelResources(stack, 'usx.model-v1:0').kind).toBe('foundation-model');
  });
});

describe('bring your own', () => {
  test('existingTable is used as is, and the handlers may query its byUpdated index', () => {
    const { template } = synth({}, (stack) => ({
      existingTable: dynamodb.Table.fromTableName(stack, 'Existing', 'my-chat-table'),
    }));
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    const statements = policyStatements(template).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(statements).toHaveLength(2);
    for (const s of statements) {
      expect(JSON.stringify(s.Resource)).toContain(':table/my-chat-table"');
      expect(JSON.stringify(s.Resource)).toContain(':table/my-chat-table/index/byUpdated"');
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TABLE_NAME: 'my-chat-table' } },
    });
  });

  test('existingUserPool gets a new client, domain and branding; authorizers trust that pool', () => {
    const { template } = synth({}, (stack) => ({
      existingUserPool: cognito.UserPool.fromUserPoolId(stack, 'Pool', 'ap-northeast-2_abcdefghi'),
    }));
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', { UserPoolId: 'ap-northeast-2_abcdefghi' });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { UserPoolId: 'ap-northeast-2_abcdefghi', ManagedLoginVersion: 2 });
    template.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { USER_POOL_ID: 'ap-northeast-2_abcdefghi', CLIENT_ID: { Ref: Match.stringLikeRegexp('^ChatAuthWebClient') } } },
    });
  });

  test('existingUserPoolClient and existingUserPoolDomainUrl create no Cognito resources and feed config and CSP', () => {
    const { template } = synth({}, (stack) => {
      const pool = cognito.UserPool.fromUserPoolId(stack, 'Pool', 'ap-northeast-2_abcdefghi');
      return {
        existingUserPool: pool,
        existingUserPoolClient: cognito.UserPoolClient.fromUserPoolClientId(stack, 'Client', 'client123'),
        existingUserPoolDomainUrl: 'https://login.example.com/',
      };
    });
    for (const type of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolDomain', 'AWS::Cognito::ManagedLoginBranding']) {
      template.resourceCountIs(type, 0);
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { USER_POOL_ID: 'ap-northeast-2_abcdefghi', CLIENT_ID: 'client123' } },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Audience: ['client123'], Issuer: 'https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_abcdefghi' } });
    const policy = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0] as any;
    expect(JSON.stringify(policy)).toContain(' https://login.example.com https://cognito-idp.ap-northeast-2.amazonaws.com https://chatbot-');
  });
});
