/**
 * Sign-in. Cognito mode: managed login with OAuth2 code + PKCE through oidc-client-ts
 * (oidc-session.ts, loaded on demand), refresh by refresh token, sign-out through Cognito's /logout. Local mode: the local
 * stack's username form (`POST /local/login`). Either way the rest of the client only sees a {@link Session}.
 */
import type { ClientConfig } from '../contract/protocol';

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

/** Signs in as the config says, asking the person through `ui` when needed. */
export async function signIn(config: ClientConfig, ui: SignInUi): Promise<Session> {
  if (config.auth.mode !== 'cognito') return localSession(ui);
  // The Cognito code and oidc-client-ts are one chunk, fetched only in Cognito mode.
  const { cognitoSession } = await import('./oidc-session.js');
  return cognitoSession(config.auth, ui, { expired: () => new SessionExpiredError(), marginSeconds: EXPIRY_MARGIN_SECONDS });
}
