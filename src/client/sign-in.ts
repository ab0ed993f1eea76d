/**
 * Sign-in. Cognito mode: managed login with OAuth2 code + PKCE through oidc-client-ts (loaded
 * on demand), refresh by refresh token, sign-out through Cognito's /logout. Local mode: the local
 * stack's username form (`POST /local/login`). Either way the rest of the client only sees a {@link Session}.
 */
import type { User, UserManager } from 'oidc-client-ts';
import type { ClientConfig, CognitoAuthConfig } from '../contract/protocol';

/** A signed-in user, as the rest of the client sees one. */
export interface Session {
  /** Name shown in the sidebar. */
  readonly userName: string;
  /** A currently valid ID token (refreshed when needed); rejects when the session is over. */
  idToken(): Promise<string>;
  /** Forgets the session (and, with Cognito, ends the managed-login session too). */
  signOut(): Promise<void>;
}

/** What sign-in needs from the page: a way to ask the person to sign in. */
export interface SignInUi {
  /** Shows the local username form; resolves with what was typed. Called again after a failure. */
  askUsername(error?: string): Promise<string>;
  /** Shows a "Sign in" button for managed login; resolves when it is pressed. */
  askRedirect(): Promise<void>;
}

/** Thrown by {@link Session.idToken} when the person has to sign in again. */
export class SessionExpiredError extends Error {
  constructor() {
    super('The session has expired.');
    this.name = 'SessionExpiredError';
  }
}

/** Refresh this long before the ID token expires, so a token never dies in flight. */
const EXPIRY_MARGIN_SECONDS = 60;

/** Reads a JWT's claims without verifying it: the server verifies; the client only needs exp/name. */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function tokenFresh(token: string): boolean {
  const exp = jwtClaims(token).exp;
  return typeof exp === 'number' && exp - EXPIRY_MARGIN_SECONDS > Date.now() / 1000;
}

const LOCAL_KEY = 'chatbot.local';

async function localSession(ui: SignInUi): Promise<Session> {
  let stored: { token: string; userName: string } | undefined;
  try {
    stored = JSON.parse(localStorage.getItem(LOCAL_KEY) ?? 'null') ?? undefined;
  } catch {
    stored = undefined;
  }
  let error: string | undefined;
  while (!stored || !tokenFresh(stored.token)) {
    const userName = (await ui.askUsername(error)).trim();
    try {
      const res = await fetch('/local/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: userName }),
      });
      const body = (await res.json()) as { idToken?: string; message?: string };
      if (!res.ok || !body.idToken) throw new Error(body.message ?? `HTTP ${res.status}`);
      stored = { token: body.idToken, userName };
      localStorage.setItem(LOCAL_KEY, JSON.stringify(stored));
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  const session = stored;
  return {
    userName: session.userName,
    async idToken() {
      if (!tokenFresh(session.token)) {
        localStorage.removeItem(LOCAL_KEY);
        throw new SessionExpiredError();
      }
      return session.token;
    },
    async signOut() {
      localStorage.removeItem(LOCAL_KEY);
    },
  };
}

/** oidc-client-ts is its own chunk, fetched only in Cognito mode (the local stack never needs it). */
async function cognitoManager(auth: CognitoAuthConfig): Promise<UserManager> {
  const { UserManager: Manager } = await import('oidc-client-ts');
  const domain = auth.domain.replace(/\/+$/, '');
  const redirect = `${location.origin}/`;
  return new Manager({
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

async function cognitoSession(auth: CognitoAuthConfig, ui: SignInUi): Promise<Session> {
  const mgr = await cognitoManager(auth);
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
      if (u && (u.expires_in ?? 0) < EXPIRY_MARGIN_SECONDS) u = await mgr.signinSilent().catch(() => null);
      if (!u?.id_token) throw new SessionExpiredError();
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

/** Signs in as the config says, asking the person through `ui` when needed. */
export function signIn(config: ClientConfig, ui: SignInUi): Promise<Session> {
  return config.auth.mode === 'cognito' ? cognitoSession(config.auth, ui) : localSession(ui);
}
