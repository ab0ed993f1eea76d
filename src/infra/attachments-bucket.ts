import { createHash } from 'crypto';
import { Duration, Fn, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { privateBucketProps } from './private-bucket';
import { ATTACHMENT_KEY_PREFIX, PENDING_TAG, PENDING_UPLOAD_EXPIRY_DAYS, UPLOAD_URL_SECONDS } from '../contract/attachments';

/** Inputs of the attachments bucket. */
export interface AttachmentsBucketProps {
  /** The site's origin (`https://…`): the only origin CORS answers. */
  readonly siteUrl: string;
  readonly removalPolicy: RemovalPolicy;
  /** From {@link AttachmentsBucket.nameFor}: the site's CSP names the bucket before it exists. */
  readonly bucketName: string;
}

/**
 * The attachments bucket (docs/OPERATIONS.md, attachments): private, SSL only, S3-managed
 * encryption, bucket-owner objects, CORS for the site's origin only, and a lifecycle rule that
 * deletes uploads no message used. Objects live under `u/{sub}/{attachmentId}`; only the chatbot's
 * functions touch them, and a browser only through the short-lived URLs they presign for the
 * caller's own keys.
 */
export class AttachmentsBucket extends Construct {
  /** The `Resource` of the object grants: every attachment key. */
  public static readonly OBJECT_PATTERN = `${ATTACHMENT_KEY_PREFIX}*`;
  /** The cdk-nag reason of the object wildcard in these grants. */
  public static readonly OBJECTS_WILDCARD = {
    pattern: /^Resource::<.*AttachmentsBucket.*\.Arn>\/u\/\*$/,
    reason: 'Attachment object keys are u/{sub}/{attachmentId}, made per request from the verified token\'s sub; the functions can act only on objects, never list or configure the bucket.',
  };
  /**
   * The bucket's name, known before the bucket is made: the site's CSP names the bucket's origin
   * and the bucket's CORS names the site, so neither may read the other from CloudFormation (a
   * cycle). `chatbot-<8 hex of the chatbot's construct path>-<the GUID of the stack's id>`: unique
   * to each deployment of the stack, so a bucket retained from a deleted stack never collides with
   * the next deployment (53 characters, lower case).
   */
  public static nameFor(chatbot: Construct): string {
    const hash = createHash('sha256').update(Names.uniqueId(chatbot)).digest('hex').slice(0, 8);
    return `chatbot-${hash}-${Fn.select(2, Fn.split('/', Stack.of(chatbot).stackId))}`;
  }

  /**
   * The origin of a bucket named `bucketName` as the functions' presigned URLs name it: the
   * regional virtual-hosted endpoint (the page's CSP allows exactly this one).
   */
  public static originOf(scope: Construct, bucketName: string): string {
    const stack = Stack.of(scope);
    return `https://${bucketName}.s3.${stack.region}.${stack.urlSuffix}`;
  }

  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AttachmentsBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...privateBucketProps(props.removalPolicy),
      bucketName: props.bucketName,
      cors: [{
        allowedOrigins: [props.siteUrl],
        allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
        allowedHeaders: ['content-type', 'x-amz-tagging'],
        exposedHeaders: ['etag'],
        maxAge: UPLOAD_URL_SECONDS,
      }],
      lifecycleRules: [
        {
          id: 'ExpireUnusedUploads',
          // Uploads carry the pending tag until a message uses them (the chat function removes it).
          tagFilters: { [PENDING_TAG.key]: PENDING_TAG.value },
          expiration: Duration.days(PENDING_UPLOAD_EXPIRY_DAYS),
        },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Every request is made by the chatbot\'s own functions (logged with the caller\'s sub) or with a URL they presigned for '
        + 'five minutes for the caller\'s own key; turn on CloudTrail S3 data events for this bucket if object-level audit is required.',
    });
  }

  /** The ARN of every attachment object. */
  public objectsArn(): string {
    return this.bucket.arnForObjects(AttachmentsBucket.OBJECT_PATTERN);
  }

  /**
   * The history function: presigns uploads (PutObject and PutObjectTagging: the URL carries the
   * pending tag) and thumbnails, reads uploads back to verify them, deletes refused ones and the
   * attachments of a deleted conversation.
   */
  public grantHistory(fn: iam.IGrantable): void {
    fn.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:DeleteObject'],
      resources: [this.objectsArn()],
    }));
  }

  /** The chat function: reads the attachments of a message and takes the pending tag off the ones it uses. */
  public grantChat(fn: iam.IGrantable): void {
    fn.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:DeleteObjectTagging'],
      resources: [this.objectsArn()],
    }));
  }
}
