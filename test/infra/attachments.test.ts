import { Match } from 'aws-cdk-lib/assertions';
import { ENV, synth } from './fixtures';
import { ATTACHMENTS_ENV } from '../../src/contract/attachments-env';
import { createS3Client, S3Objects } from '../../src/core/adapters/s3-objects';

// The attachments bucket (docs/OPERATIONS.md, attachments): private, SSL only, encrypted, CORS for
// the site only, a lifecycle rule for unused uploads, and grants scoped to what each function does.

const statementsOf = (template: ReturnType<typeof synth>['template'], role: RegExp) => {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).filter(([id]) => role.test(id)).flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement as any[]);
};
const bucketStatements = (statements: any[]) => statements.filter((s) => JSON.stringify(s.Resource).includes('ChatAttachmentsBucket'));

describe('attachments on (the default)', () => {
  const { template, chatbot } = synth();
  const [bucketId, bucket] = Object.entries(template.findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('ChatAttachmentsBucket'))! as [string, any];

  test('the bucket is private, encrypted, owner-enforced and retained by default', () => {
    expect(chatbot.attachmentsBucket).toBeDefined();
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('its policy refuses every request without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('CORS answers only the site origin, for PUT/GET/HEAD with the upload headers', () => {
    const rules = bucket.Properties.CorsConfiguration.CorsRules;
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ AllowedMethods: ['PUT', 'GET', 'HEAD'], AllowedHeaders: ['content-type', 'x-amz-tagging'] });
    expect(rules[0].AllowedOrigins).toHaveLength(1);
    expect(JSON.stringify(rules[0].AllowedOrigins)).toMatch(/^\[\{"Fn::Join":\["",\["https:\/\/",\{"Fn::GetAtt":\["ChatWebDistribution[0-9A-F]+","DomainName"\]\}\]\]\}\]$/);
  });

  test('uploads no message used expire after a day (by their pending tag); incomplete uploads are aborted', () => {
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'ExpireUnusedUploads', Status: 'Enabled', ExpirationInDays: 1, TagFilters: [{ Key: 'chatbot-attachment', Value: 'pending' }] },
      { Id: 'AbortIncompleteUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
    ]);
  });

  test('grants: history presigns, reads and deletes objects; chat reads and untags; only under u/*, no bucket-level action', () => {
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/u/*']] };
    expect(bucketStatements(statementsOf(template, /^ChatHistoryHistoryRole/))).toEqual([
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:DeleteObject'], Resource: objects },
    ]);
    expect(bucketStatements(statementsOf(template, /^ChatSocketChatRole/))).toEqual([
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:DeleteObjectTagging'], Resource: objects },
    ]);
    expect(bucketStatements(statementsOf(template, /^ChatSocketAuthorizerRole/))).toEqual([]);
  });

  test('both functions name the bucket; the CSP lets the page reach the Region\'s S3 endpoint', () => {
    for (const d of ['^Chat routes', '^Conversation history']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(d),
        Environment: { Variables: Match.objectLike({ [ATTACHMENTS_ENV.bucket]: { Ref: bucketId } }) },
      });
    }
    const policy = JSON.stringify(Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]);
    expect(policy).toContain("img-src 'self' data: https://*.s3.ap-northeast-2.amazonaws.com;");
  });

  test('the URLs the history function presigns are on the host the CSP allows', async () => {
    const client = createS3Client({ region: ENV.region, localCredentials: false }, undefined);
    client.config.credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' });
    const objects = new S3Objects(client, 'chat-attachments-bucket-1a2b3c');
    for (const url of [(await objects.presignPut('u/s/a', 'image/png', 10, 300)).url, await objects.presignGet('u/s/a', 'image/png', 300)]) {
      expect(new URL(url).host).toBe(`chat-attachments-bucket-1a2b3c.s3.${ENV.region}.amazonaws.com`);
    }
    client.destroy();
  });
});

describe('attachments off, and the daily bound', () => {
  test('enabled: false makes no bucket, no grant, no variable and no CSP source', () => {
    const { template, chatbot } = synth({ attachments: { enabled: false } });
    expect(chatbot.attachmentsBucket).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).filter((id) => id.includes('Attachments'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain(ATTACHMENTS_ENV.bucket);
    expect(JSON.stringify(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))).not.toContain('.s3.');
  });

  test('maxUploadsPerDay and maxUploadBytesPerDay reach both functions, each checked at its edges', () => {
    const { template } = synth({ attachments: { maxUploadsPerDay: 10_000, maxUploadBytesPerDay: 1_000_000 } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Conversation history'),
      Environment: { Variables: Match.objectLike({ [ATTACHMENTS_ENV.maxUploadsPerDay]: '10000', [ATTACHMENTS_ENV.maxUploadBytesPerDay]: '1000000' }) },
    });
    const chat = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Chat routes') } }))[0] as any;
    expect(Object.keys(chat.Properties.Environment.Variables).filter((k) => k.startsWith('ATTACHMENTS'))).toEqual([ATTACHMENTS_ENV.bucket]);
    expect(() => synth({ attachments: { maxUploadsPerDay: 10_001 } })).toThrow(/attachments.maxUploadsPerDay must be an integer from 1 to 10000/);
    expect(() => synth({ attachments: { maxUploadsPerDay: 0 } })).toThrow(/maxUploadsPerDay/);
    expect(() => synth({ attachments: { maxUploadBytesPerDay: 999_999 } })).toThrow(/maxUploadBytesPerDay/);
    expect(() => synth({ attachments: { maxUploadBytesPerDay: 10_000_000_001 } })).toThrow(/maxUploadBytesPerDay/);
  });
});
