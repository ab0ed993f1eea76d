import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from './fixtures';
import { StreamingChatbot } from '../../src';

test('an environment-agnostic stack synthesizes, with Region and account resolved at deploy time', () => {
  const app = new App();
  const stack = new Stack(app, 'Agnostic');
  new StreamingChatbot(stack, 'Chat');
  const template = Template.fromStack(stack);
  const csp = JSON.stringify(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
  expect(csp).toContain('https://cognito-idp.');
  expect(csp).toContain('{"Ref":"AWS::Region"}');
  const bedrock = JSON.stringify(Object.values(template.findResources('AWS::IAM::Policy')));
  expect(bedrock).toMatch(/:bedrock:",\{"Ref":"AWS::Region"\},":",\{"Ref":"AWS::AccountId"\},":inference-profile\/global\.anthropic/);
});

test('two chatbots in one stack get separate login domains, metrics services and resources', () => {
  const app = new App();
  const stack = new Stack(app, 'Two', { env: ENV });
  const a = new StreamingChatbot(stack, 'A');
  const b = new StreamingChatbot(stack, 'B');
  const template = Template.fromStack(stack);
  const domains = Object.values(template.findResources('AWS::Cognito::UserPoolDomain')).map((d: any) => JSON.stringify(d.Properties.Domain));
  expect(domains).toHaveLength(2);
  expect(domains[0]).not.toEqual(domains[1]);
  const services = Object.values(template.findResources('AWS::Lambda::Function'))
    .map((f: any) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME)
    .filter(Boolean);
  expect(new Set(services).size).toBe(2);
  template.resourceCountIs('AWS::DynamoDB::Table', 2);
  template.resourceCountIs('Custom::CDKBucketDeployment', 2);
  expect(a.siteUrl).not.toEqual(b.siteUrl);
});
