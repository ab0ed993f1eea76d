import { App, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from './fixtures';
import { StreamingChatbot } from '../../src';

function nag(build: (stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: ENV });
  build(stack);
  const report = new AwsSolutionsChecks(app).validateScope(app);
  const findings = report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`));
  const acknowledgements = stack.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))));
  return { findings, acknowledgements };
}

describe('cdk-nag AwsSolutionsChecks', () => {
  const { findings, acknowledgements } = nag((stack) => new StreamingChatbot(stack, 'Chat'));

  test('default props leave no unacknowledged error or warning', () => {
    expect(findings).toEqual([]);
  });

  test('every acknowledgement carries a reason of its own, placed on the resource it excuses', () => {
    expect(acknowledgements.length).toBeGreaterThan(10);
    for (const a of acknowledgements) {
      expect(a.reason.length).toBeGreaterThanOrEqual(60);
      // Never a blanket acknowledgement on the stack or the whole construct.
      expect(a.path).not.toMatch(/^Nag(\/Chat)?$/);
    }
    const reasons = acknowledgements.map((a) => a.reason);
    expect(new Set(reasons).size).toBeGreaterThan(10);
  });

  test('the only IAM wildcards acknowledged are the model Region, @connections ids, the BucketDeployment handler and attachment objects', () => {
    const wildcards = acknowledgements.filter((a) => a.id.startsWith('AwsSolutions-IAM5'));
    for (const w of wildcards) {
      const model = /bedrock:\*::foundation-model\/anthropic\.claude-[a-z0-9.-]+:0\]$/.test(w.id);
      const connections = /\/chat\/\*\/@connections\/\*\]$/.test(w.id);
      const deployment = w.path.includes('CDKBucketDeployment');
      const attachments = /^AwsSolutions-IAM5\[Resource::<ChatAttachmentsBucket[0-9A-F]+\.Arn>\/u\/\*\]$/.test(w.id);
      expect({ id: w.id, allowed: model || connections || deployment || attachments }).toEqual({ id: w.id, allowed: true });
    }
  });

  test('a customer-managed table key, a foundation-model id, WAF and a brought-in pool leave no finding either', () => {
    const { findings: f, acknowledgements: acks } = nag((stack) => new StreamingChatbot(stack, 'Chat', {
      tableOptions: { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) },
      modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/chat/abc',
      existingUserPool: cognito.UserPool.fromUserPoolId(stack, 'Pool', 'ap-northeast-2_abcdefghi'),
    }));
    expect(f).toEqual([]);
    const kmsAcks = [...new Set(acks.filter((a) => a.id.includes('Action::kms:')).map((a) => `${a.path.replace(/^Nag\/Chat\//, '')} ${a.id}`))].sort();
    expect(kmsAcks).toEqual([
      'History/HistoryRole/DefaultPolicy AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'History/HistoryRole/DefaultPolicy AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'Socket/ChatRole/DefaultPolicy AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'Socket/ChatRole/DefaultPolicy AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
    ]);
  });

  test('a wildcard nobody explained is still reported', () => {
    const { findings: f } = nag((stack) => {
      const chatbot = new StreamingChatbot(stack, 'Chat');
      chatbot.chatFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other-bucket/*'] }));
    });
    expect(f).toEqual(['error AwsSolutions-IAM5[Resource::arn:aws:s3:::other-bucket/*] at Nag/Chat/Socket/ChatRole/DefaultPolicy/Resource']);
  });
});
