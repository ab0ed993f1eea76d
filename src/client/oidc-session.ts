/**
 * Cognito sign-in: managed login with OAuth2 code + PKCE through oidc-client-ts, refresh by
 * refresh token, sign-out through Cognito's /logout. Its own chunk together with oidc-client-ts,
 * fetched only in Cognito mode (the local stack never needs it).
 */
import { UserManager, type User } from 'oidc-client-ts';
import type { Session, SignInUi } from './sign-in';
import type { CognitoAuthConfig } from '../contract/protocol';

/**
 * What this chunk takes from sign-in.ts. Passed in rather than imported: a module both the page
 * and this chunk import would move into a chunk of its own, and the first load would grow.
 */
export interface SessionDeps {
  /** The error {@link Session.idToken} rejects with when the person has to sign in again. */
  expired: () => Error;
  /** Refresh this long before the ID token expires. */
  marginSeconds: number;
}

function cognitoManager(auth: CognitoAuthConfig): UserManager {
  const domain = auth.domain.replace(/\/+$/, '');
  const redirect = `${location.origin}/`;
  return new UserManager({
    authority: `https://cognito-idp.${auth.region}.amazonaws.com/${auth.userPoolId}`,
    // Given in full so the browser never fetches the discovery document: CloudFront's CSP allows
    // connections to the managed-login domain only.
    metadata: {
      issuer: `https://cognito-idp.${auth.region}.amazonaws.com/${auth.userPoolId}`,
      authorization_endpoint: `${domain}/oauth2/authorize`,
      token_endpoint: `${domain}/oauth2/token`,
      userinfo_endpoint: `${domain}/oauth2/userInfo`,
      revocation_endpoint: `${domain}/oauth2/revoke`,
      end_session_endpoint: `${domain}/logout`,
    },
    client_id: auth.clientId,
    redirect_uri: redirect,
    post_logout_redirect_uri: redirect,
    response_type: 'code',
    scope: 'openid email profile',
    loadUserInfo: false,
    automaticSilentRenew: true,
  });
}

/** The Cognito session: signs in (asking through `ui` when needed) and keeps the ID token fresh. */
export async function cognitoSession(auth: CognitoAuthConfig, ui: SignInUi, page: SessionDeps): Promise<Session> {
  const mgr = cognitoManager(auth);
  const url = new URL(location.href);
  if (url.searchParams.has('code') && url.searchParams.has('state')) {
    await mgr.signinRedirectCallback();
    // Drop code/state from the address bar so a reload does not replay them.
    history.replaceState(null, '', `${location.pathname}${location.hash}`);
  }
  let user: User | null = await mgr.getUser();
  if (user && user.expired && user.refresh_token) {
    user = await mgr.signinSilent().catch(() => null);
  }
  if (!user || user.expired) {
    await ui.askRedirect();
    await mgr.signinRedirect({ state: location.hash });
    return new Promise<Session>(() => undefined); // the page is navigating away
  }
  const profile = user.profile;
  const userName = String(profile.email ?? profile['cognito:username'] ?? profile.sub);
  return {
    userName,
    async idToken() {
      let u = await mgr.getUser();
      if (u && (u.expires_in ?? 0) < page.marginSeconds) u = await mgr.signinSilent().catch(() => null);
      if (!u?.id_token) throw page.expired();
      return u.id_token;
    },
    async signOut() {
      await mgr.revokeTokens(['refresh_token']).catch(() => undefined);
      await mgr.removeUser();
      const domain = auth.domain.replace(/\/+$/, '');
      // Cognito's /logout takes client_id + logout_uri rather than the OIDC end-session parameters.
      location.assign(`${domain}/logout?client_id=${encodeURIComponent(auth.clientId)}&logout_uri=${encodeURIComponent(`${location.origin}/`)}`);
    },
  };
}
