/** The origins the web client may talk to besides its own. */
export interface CspSources {
  /** `wss://<api>.execute-api.<region>.amazonaws.com/<stage>` */
  readonly webSocketUrl: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com` (token endpoint of the code + PKCE flow) */
  readonly authDomainUrl: string;
  /** `https://cognito-idp.<region>.amazonaws.com` (OIDC discovery and JWKS) */
  readonly cognitoIdpUrl: string;
}

/**
 * The Content-Security-Policy of every response. Scripts, styles and everything else come
 * only from the site itself (no inline script, no eval), so model output that slipped past the
 * sanitizer still cannot run; `connect-src` adds exactly the WebSocket API and Cognito.
 */
export function contentSecurityPolicy(sources: CspSources): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${sources.webSocketUrl} ${sources.authDomainUrl} ${sources.cognitoIdpUrl}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "manifest-src 'self'",
    'upgrade-insecure-requests',
  ].join('; ');
}
