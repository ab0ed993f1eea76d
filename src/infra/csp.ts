import { buildContentSecurityPolicy } from '../contract/csp';

/** The origins the web client may talk to besides its own. */
export interface CspSources {
  /** `wss://<api>.execute-api.<region>.amazonaws.com/<stage>` */
  readonly webSocketUrl: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com` (token endpoint of the code + PKCE flow) */
  readonly authDomainUrl: string;
  /** `https://cognito-idp.<region>.amazonaws.com` (OIDC discovery and JWKS) */
  readonly cognitoIdpUrl: string;
  /** `https://<bucket>.s3.<region>.amazonaws.com` when attachments are on (presigned uploads and thumbnails). */
  readonly attachmentsOrigin?: string;
}

/**
 * The Content-Security-Policy of every response: `connect-src` adds exactly the WebSocket API and
 * Cognito, and with `img-src` the attachments bucket's own origin (no other bucket: a Markdown image
 * in an answer cannot send anything to a bucket of someone else's).
 */
export function contentSecurityPolicy(sources: CspSources): string {
  return buildContentSecurityPolicy({
    connectSources: [sources.webSocketUrl, sources.authDomainUrl, sources.cognitoIdpUrl],
    upgradeInsecureRequests: true,
    ...(sources.attachmentsOrigin ? { attachmentSources: [sources.attachmentsOrigin] } : {}),
  });
}
