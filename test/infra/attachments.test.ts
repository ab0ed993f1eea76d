import { Match } from 'aws-cdk-lib/assertions';
import { clientConfig, ENV, synth } from './fixtures';
import { clientAttachmentsConfig } from '../../src/contract/attachments';
import { ATTACHMENTS_ENV } from '../../src/contract/attachments-env';
import { createS3Client, S3Objects } from '../../src/core/adapters/s3-objects';

// The attachments bucket (docs/OPERATIONS.md, attachments): private, SSL only, encrypted, CORS for
// the site only, a lifecycle rule for unused uploads, and grants scoped to what each function does.

const statementsOf = (template: ReturnType<typeof synth>['template'], role: RegExp) => {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies).filter(([id]) => role.test(id)).flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement as any[]);
};
/** A CloudFormation value as text: the stack id's GUID as `<stack-guid>`, the URL suffix as in the Region, any other token named. */
const rendered = (value: unknown): string => {
  const v = value as any;
  if (typeof v === 'string') return v;
  if (v?.['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(rendered).join(v['Fn::Join'][0]);
  if (JSON.stringify(v) === JSON.stringify({ 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] })) return '<stack-guid>';
  if (v?.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
  return `<${JSON.stringify(v)}>`;
};
const directive = (csp: string, name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `))!.split(' ').slice(1);
const cspOf = (template: ReturnType<typeof synth>['template']) => Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))
  .map((p: any) => rendered(p.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy));
const bucketStatements = (statements: any[]) => statements.filter((s) => JSON.stringify(s.Resource).includes('ChatAttachmentsBucket'));

describe('attachments on (the default)', () => {
  const { template, chatbot, assemblyDir } = synth();
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

  test('no other role and no bucket policy statement grants anything on the bucket', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const granting = Object.entries(policies)
      .filter(([, p]: [string, any]) => JSON.stringify(p.Properties.PolicyDocument).includes(bucketId))
      .map(([id]) => id);
    expect(granting.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['ChatHistoryHistoryRoleDefaultPolicy', 'ChatSocketChatRoleDefaultPolicy']);
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).not.toContain(bucketId);
    const bucketPolicy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p: any) => p.Properties.Bucket.Ref === bucketId) as any;
    expect(bucketPolicy.Properties.PolicyDocument.Statement.map((st: any) => st.Effect)).toEqual(['Deny']);
  });

  test('both functions name the bucket', () => {
    for (const d of ['^Chat routes', '^Conversation history']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(d),
        Environment: { Variables: Match.objectLike({ [ATTACHMENTS_ENV.bucket]: { Ref: bucketId } }) },
      });
    }
  });

  test('the bucket has a name unique to the stack\'s deployment, known before it exists (the CSP names it)', () => {
    expect(rendered(bucket.Properties.BucketName)).toMatch(/^chatbot-[0-9a-f]{8}-<stack-guid>$/);
    // 8 + 8 + 1 + a GUID's 36 characters: within S3's 63, lower case.
    expect(rendered(bucket.Properties.BucketName).replace('<stack-guid>', '8f0a2c4e-1b3d-4f5a-9c7e-0d2b4a6c8e1f')).toMatch(/^[a-z0-9-]{53}$/);
  });

  test('the CSP (both header policies) allows images and connections from this bucket\'s regional origin and no other bucket', () => {
    const origin = `https://${rendered(bucket.Properties.BucketName)}.s3.${ENV.region}.amazonaws.com`;
    const policies = cspOf(template);
    expect(policies).toHaveLength(2);
    for (const csp of policies) {
      expect(directive(csp, 'img-src')).toEqual(["'self'", 'data:', origin]);
      expect(directive(csp, 'connect-src').filter((s) => s.includes('.s3.'))).toEqual([origin]);
      expect(csp).not.toContain('*');
    }
  });

  test('config.json offers attachments with the limits the server enforces', () => {
    expect(clientConfig(template, assemblyDir).config.attachments).toEqual(clientAttachmentsConfig());
  });

  test('the URLs the history function presigns are on the host the CSP allows', async () => {
    const client = createS3Client({ region: ENV.region, localCredentials: false }, undefined);
    client.config.credentials = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' });
    const name = rendered(bucket.Properties.BucketName).replace('<stack-guid>', '8f0a2c4e-1b3d-4f5a-9c7e-0d2b4a6c8e1f');
    const allowed = directive(cspOf(template)[0].replace(/<stack-guid>/g, '8f0a2c4e-1b3d-4f5a-9c7e-0d2b4a6c8e1f'), 'img-src')[2];
    const objects = new S3Objects(client, name);
    for (const url of [(await objects.presignPut('u/s/a', 'image/png', 10, 300)).url, await objects.presignGet('u/s/a', 'application/pdf', 300, 'a.pdf')]) {
      expect(new URL(url).origin).toBe(allowed);
    }
    client.destroy();
  });
});

describe('the default, attachments off, and the daily bound', () => {
  test('enabled: true is the default', () => {
    expect(synth({ attachments: { enabled: true } }).template.toJSON()).toEqual(synth().template.toJSON());
  });

  test('enabled: false: no bucket, no grant, no variable, no CSP source and nothing in config.json', () => {
    const { template, chatbot, assemblyDir } = synth({ attachments: { enabled: false } });
    expect(chatbot.attachmentsBucket).toBeUndefined();
    expect(clientConfig(template, assemblyDir).config).not.toHaveProperty('attachments');
    expect(Object.keys(template.findResources('AWS::S3::Bucket')).filter((id) => id.includes('Attachments'))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain(ATTACHMENTS_ENV.bucket);
    expect(JSON.stringify(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))).not.toContain('.s3.');
  });

  test('maxUploadsPerDay and maxUploadBytesPerDay reach both functions, each checked at its edges', () => {
    const { template } = synth({ attachments: { enabled: true, maxUploadsPerDay: 10_000, maxUploadBytesPerDay: 1_000_000 } });
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
