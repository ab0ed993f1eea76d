/**
 * The web client's Content-Security-Policy, in one place for CloudFront (src/infra/csp.ts) and the
 * local stack. Scripts, styles and everything else come only from the site itself (no inline
 * script, no eval), so model output that slipped past the sanitizer still cannot run. Pure: no
 * imports, so infrastructure code may use it.
 */
export interface CspOptions {
  /** Origins the page may connect to besides its own (the WebSocket API, Cognito). */
  readonly connectSources: readonly string[];
  /** Deployed sites upgrade http to https; the local stack's `ws://` must stay as it is. */
  readonly upgradeInsecureRequests: boolean;
  /** Where attachments are uploaded to and their thumbnails shown from (the bucket's origin). */
  readonly attachmentSources?: readonly string[];
}

export function buildContentSecurityPolicy(options: CspOptions): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    ["img-src 'self' data:", ...(options.attachmentSources ?? [])].join(' '),
    "font-src 'self' data:",
    ["connect-src 'self'", ...options.connectSources, ...(options.attachmentSources ?? [])].join(' '),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "manifest-src 'self'",
    ...(options.upgradeInsecureRequests ? ['upgrade-insecure-requests'] : []),
  ].join('; ');
}
