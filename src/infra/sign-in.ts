import { Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Inputs of the sign-in part. */
export interface AuthProps {
  /** The site's own URL (`https://…`), the only callback and sign-out URL. */
  readonly siteUrl: string;
  readonly existingUserPool?: cognito.IUserPool;
  readonly existingUserPoolClient?: cognito.IUserPoolClient;
  readonly existingUserPoolDomainUrl?: string;
  readonly selfSignUpEnabled: boolean;
  /** Prefix of the Cognito domain to create (unused with `existingUserPoolDomainUrl`). */
  readonly domainPrefix: string;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Cognito sign-in: a user pool (or the caller's), a public app client using the authorization
 * code grant with PKCE (a browser cannot keep a secret), and the managed login domain.
 */
export class Auth extends Construct {
  /** The user pool whose ID tokens the WebSocket authorizer and the HTTP API accept. */
  public readonly userPool: cognito.IUserPool;
  /** The app client the web client signs in with. */
  public readonly userPoolClient: cognito.IUserPoolClient;
  /** The managed login domain, when this construct created it. */
  public readonly userPoolDomain?: cognito.UserPoolDomain;
  /** Base URL of the managed login, e.g. `https://x.auth.eu-west-1.amazoncognito.com`. */
  public readonly domainUrl: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    this.userPool = props.existingUserPool ?? this.createUserPool(props);

    this.userPoolClient = props.existingUserPoolClient ?? new cognito.UserPoolClient(this, 'WebClient', {
      userPool: this.userPool,
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [props.siteUrl, `${props.siteUrl}/`],
        logoutUrls: [props.siteUrl, `${props.siteUrl}/`],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    if (props.existingUserPoolDomainUrl) {
      this.domainUrl = props.existingUserPoolDomainUrl.replace(/\/+$/, '');
    } else {
      this.userPoolDomain = new cognito.UserPoolDomain(this, 'Domain', {
        userPool: this.userPool,
        cognitoDomain: { domainPrefix: props.domainPrefix },
        managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
      });
      this.domainUrl = this.userPoolDomain.baseUrl();
      if (!props.existingUserPoolClient) {
        // The newer managed login shows no pages for a client without a branding style; the
        // Cognito-provided style is the neutral default.
        const branding = new cognito.CfnManagedLoginBranding(this, 'Branding', {
          userPoolId: this.userPool.userPoolId,
          clientId: this.userPoolClient.userPoolClientId,
          useCognitoProvidedValues: true,
        });
        branding.node.addDependency(this.userPoolDomain);
      }
    }
  }

  private createUserPool(props: AuthProps): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: props.selfSignUpEnabled,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.removalPolicy,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
    });
    Validations.of(pool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is offered (TOTP, optional) rather than forced: the chatbot holds only the user\'s own chat history, and forcing MFA is an operator decision (pass existingUserPool to require it).',
      },
      {
        id: 'AwsSolutions-COG8',
        reason: 'The Plus feature plan is billed per monthly active user; the Essentials plan is enough for sign-in with managed login. Operators who want Plus pass existingUserPool.',
      },
      {
        id: 'AwsSolutions-COG3',
        reason: 'Threat protection (advanced security) needs the paid Cognito Plus feature plan; it is left to the operator (pass existingUserPool with it enabled).',
      },
    );
    return pool;
  }
}

/**
 * The default Cognito prefix. Prefix domains are unique per Region across all accounts, so it
 * mixes the construct's path with the stack's CloudFormation id (a fresh UUID per stack). Hex
 * digits never spell the words Cognito forbids in a prefix (aws, amazon, cognito).
 */
export function defaultDomainPrefix(scope: Construct): string {
  const stackUuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  const stackPart = Fn.select(0, Fn.split('-', stackUuid));
  return `chat-${scope.node.addr.slice(0, 10)}-${stackPart}`;
}

/** Base URL of a Cognito prefix domain (what `UserPoolDomain.baseUrl()` answers). */
export function prefixDomainUrl(scope: Construct, prefix: string): string {
  return `https://${prefix}.auth.${Stack.of(scope).region}.amazoncognito.com`;
}
