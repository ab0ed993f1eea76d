import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { contentSecurityPolicy } from './csp';
import { createLogGroup, LogSettings } from './log-group';
import { acknowledgeFinding, acknowledgeWildcards, defaultPolicyOf } from './nag';
import { privateBucketProps } from './private-bucket';
import type { ClientConfig } from '../contract/protocol';
import { HISTORY_API_PREFIX } from '../contract/routes';

/**
 * The prebuilt web client. `__dirname` is `src/infra` under ts-jest and `lib/infra` in the
 * published package; both sit two levels below the package root that holds `assets/`.
 */
export const CLIENT_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'client');

/** Inputs of the hosting part. */
export interface WebClientProps {
  /** The HTTP API's domain (`<id>.execute-api.<region>.amazonaws.com`), origin of `/api/*`. */
  readonly apiDomainName: string;
  /** `wss://…` of the WebSocket stage (CSP `connect-src`). */
  readonly webSocketUrl: string;
  /** Base URL of the Cognito managed login (CSP `connect-src`). */
  readonly authDomainUrl: string;
  readonly customDomain?: { readonly domainName: string; readonly certificate: acm.ICertificate };
  readonly webAclArn?: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logs: LogSettings;
  /** The attachments bucket's origin for the CSP `img-src` and `connect-src` (`AttachmentsBucket.originOf`). */
  readonly attachmentsOrigin?: string;
}

/**
 * Static hosting: a private bucket read only by CloudFront through Origin Access Control, the
 * history API on the same origin under `/api/*`, and strict security headers on everything.
 */
export class WebClient extends Construct {
  /** Holds the static client and `config.json`. */
  public readonly bucket: s3.Bucket;
  /** Serves the client, `config.json` and `/api/*`. */
  public readonly distribution: cloudfront.Distribution;
  /** Security headers of every response (CSP, HSTS, frame-ancestors 'none', …). */
  public readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** `https://…`: the site's own origin. */
  public readonly siteUrl: string;

  private readonly logs: LogSettings;

  constructor(scope: Construct, id: string, props: WebClientProps) {
    super(scope, id);
    this.logs = props.logs;
    const region = Stack.of(this).region;

    this.bucket = new s3.Bucket(this, 'Bucket', privateBucketProps(props.removalPolicy));
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the public web client, rebuilt from the package on every deploy, and is read only by CloudFront through OAC; access logs would record nothing but CloudFront.',
    });

    const csp = contentSecurityPolicy({
      webSocketUrl: props.webSocketUrl,
      authDomainUrl: props.authDomainUrl,
      cognitoIdpUrl: `https://cognito-idp.${region}.amazonaws.com`,
      attachmentsOrigin: props.attachmentsOrigin,
    });
    this.responseHeadersPolicy = this.headersPolicy('SecurityHeaders', csp);
    // config.json names the back end: a stale copy after a redeploy would point at the old one.
    const noStore = this.headersPolicy('NoStoreHeaders', csp, 'no-store');

    const siteOrigin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Streaming chatbot web client',
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      domainNames: props.customDomain ? [props.customDomain.domainName] : undefined,
      certificate: props.customDomain?.certificate,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      webAclId: props.webAclArn,
      // No custom error responses: CloudFront cannot customize a 401 (it refuses the code at
      // deploy), and any other page would replace the history API's own {code, message} bodies.
      defaultBehavior: {
        origin: siteOrigin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        compress: true,
      },
      additionalBehaviors: {
        '/config.json': {
          origin: siteOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          responseHeadersPolicy: noStore,
        },
        [`${HISTORY_API_PREFIX}/*`]: {
          origin: new origins.HttpOrigin(props.apiDomainName, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // With caching disabled, this managed policy forwards Authorization (but not Host,
          // which API Gateway would reject) to the HTTP API.
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: noStore,
        },
      },
    });
    this.siteUrl = props.customDomain
      ? `https://${props.customDomain.domainName}`
      : `https://${this.distribution.distributionDomainName}`;

    const acks = [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'A chatbot for signed-in users has no country it must be withheld from by default; operators can add geo restrictions through webAclArn.',
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'CloudFront access logs cost per request and would duplicate the HTTP API access log and Lambda logs, which already record every API call.',
      },
    ];
    if (!props.webAclArn) {
      acks.push({
        id: 'AwsSolutions-CFR2',
        reason: 'WAF is opt-in (webAclArn prop) because a web ACL costs a monthly fee; the APIs are throttled and every route needs a verified Cognito token.',
      });
    }
    if (!props.customDomain) {
      acks.push({
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain the distribution uses the *.cloudfront.net certificate, whose TLS policy CloudFront sets; with the domain prop the minimum is TLSv1.2_2021.',
      });
    }
    Validations.of(this.distribution).acknowledge(...acks);
  }

  /**
   * Uploads the prebuilt client plus `config.json` (docs/PROTOCOL.md §3) and invalidates the
   * distribution, so a redeploy is visible at once.
   */
  public deploy(config: ClientConfig): s3deploy.BucketDeployment {
    if (!fs.existsSync(path.join(CLIENT_ASSET_DIR, 'index.html'))) {
      throw new Error(`The web client is not built: ${CLIENT_ASSET_DIR} has no index.html. Run \`npx projen bundle\` first.`);
    }
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      sources: [s3deploy.Source.asset(CLIENT_ASSET_DIR), s3deploy.Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
      prune: true,
      logGroup: createLogGroup(this, 'DeployLogs', this.logs),
    });
    this.acknowledgeDeploymentHandler(deployment);
    return deployment;
  }

  /** The BucketDeployment handler is aws-cdk-lib's singleton; its findings are explained here. */
  private acknowledgeDeploymentHandler(deployment: s3deploy.BucketDeployment): void {
    const stack = Stack.of(this);
    const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      acknowledgeFinding(handler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'The BucketDeployment handler is aws-cdk-lib\'s own singleton; its role is not configurable (we pass only its log group).');
      acknowledgeFinding(handler, 'AwsSolutions-L1', 'The BucketDeployment handler runtime is chosen by aws-cdk-lib and moves with it.');
    }
    acknowledgeWildcards(defaultPolicyOf(deployment.handlerRole)!, [
      {
        pattern: /^Action::s3:/,
        reason: 'aws-cdk-lib\'s BucketDeployment grants object-level S3 actions (Get*/List*/Delete*/Abort*) to copy the client asset and prune stale files.',
      },
      {
        pattern: /^Resource::.*(assets|Bucket).*\/\*$/,
        reason: 'BucketDeployment reads the client asset from the CDK asset bucket and writes every object of the client bucket: object keys are only known at deploy time.',
      },
      {
        pattern: /^Resource::\*$/,
        reason: 'cloudfront:CreateInvalidation/GetInvalidation do not support resource-level scoping in aws-cdk-lib\'s BucketDeployment grant; it invalidates only this distribution.',
      },
    ]);
  }

  private headersPolicy(id: string, csp: string, cacheControl?: string): cloudfront.ResponseHeadersPolicy {
    return new cloudfront.ResponseHeadersPolicy(this, id, {
      comment: 'Streaming chatbot security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          // Browsers revalidate (a cheap 304 from the edge) instead of guessing a lifetime from
          // Last-Modified, so a redeploy's client and config.json always arrive together.
          cacheControl
            ? { header: 'Cache-Control', value: cacheControl, override: true }
            : { header: 'Cache-Control', value: 'no-cache', override: false },
        ],
      },
    });
  }
}
