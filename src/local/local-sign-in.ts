/**
 * Local sign-in: stands in for Cognito's managed login so the stack runs with no AWS account.
 * It issues RS256 ID tokens shaped like Cognito's and publishes their key as a JWKS, so the real
 * authorizer verifies them with the very code that verifies Cognito tokens in AWS.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { utf8Bytes } from '../contract/protocol';

/** The audience (app client id) of every local ID token. */
export const LOCAL_CLIENT_ID = 'local-client';
/** A username is 1–128 UTF-8 bytes after trimming, like a Cognito username. */
export const MAX_USERNAME_BYTES = 128;
/** Local ID tokens live this long by default (Cognito's default is 1 h; a dev session lasts longer). */
export const DEFAULT_TOKEN_TTL_SECONDS = 8 * 60 * 60;
/** File in the data dir that keeps the signing key, so tokens survive a restart. */
export const SIGNING_KEY_FILE = 'local-signing-key.pem';
/** Path of the JWKS document, relative to the stack URL. */
export const JWKS_PATH = '/local/.well-known/jwks.json';

/** What `LocalAuth` needs to know. */
export interface LocalAuthOptions {
  /** Where the signing key is kept; undefined = a fresh key in memory only. */
  readonly dataDir?: string;
  /** `<stack url>/local`. */
  readonly issuer: string;
  readonly tokenTtlSeconds?: number;
}

/** Result of a sign-in attempt: a token, or an HTTP status with a message for a person. */
export type LoginResult =
  | { ok: true; idToken: string; sub: string }
  | { ok: false; status: number; message: string };

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A user's `sub`: a UUID derived from the username, so the same name is the same user across
 * restarts and data dirs (there are no passwords here: local sign-in is for one developer's machine).
 */
export function subForUsername(username: string): string {
  const h = crypto.createHash('sha256').update(`cdk-streaming-chatbot/local/${username}`).digest('hex');
  // Shape it as a version-4-looking UUID like Cognito's subs.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Loads the signing key from the data dir, creating it once; or makes an in-memory key. */
function loadOrCreateKey(dataDir: string | undefined): crypto.KeyObject {
  if (dataDir === undefined) {
    return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
  const file = path.join(dataDir, SIGNING_KEY_FILE);
  if (fs.existsSync(file)) return crypto.createPrivateKey(fs.readFileSync(file));
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  // Written to a temp name and renamed so a crash never leaves half a key behind.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, pem, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return privateKey;
}

/** Issues local ID tokens and publishes the key that verifies them. */
export class LocalAuth {
  /** JWKS document served at {@link JWKS_PATH}. */
  public readonly jwks: { keys: Record<string, unknown>[] };
  private readonly key: crypto.KeyObject;
  private readonly kid: string;
  private readonly ttl: number;

  constructor(private readonly options: LocalAuthOptions) {
    this.key = loadOrCreateKey(options.dataDir);
    const jwk = crypto.createPublicKey(this.key).export({ format: 'jwk' }) as Record<string, string>;
    // RFC 7638 thumbprint as key id: stable for a kept key, new for a new one.
    this.kid = b64url(crypto.createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest());
    this.jwks = { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] };
    this.ttl = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  }

  /** The `iss` of every token. */
  get issuer(): string {
    return this.options.issuer;
  }

  /** Signs in `username` (from a `POST /local/login` body) and returns an ID token. */
  login(body: unknown): LoginResult {
    const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).username : undefined;
    if (typeof raw !== 'string') return { ok: false, status: 400, message: 'Send {"username": "..."}.' };
    const username = raw.trim();
    if (username.length === 0) return { ok: false, status: 400, message: 'The username is empty.' };
    if (utf8Bytes(username) > MAX_USERNAME_BYTES) {
      return { ok: false, status: 400, message: `A username may be at most ${MAX_USERNAME_BYTES} bytes of UTF-8.` };
    }
    // Control characters would end up in logs and headers.
    if (/[\u0000-\u001f\u007f]/.test(username)) return { ok: false, status: 400, message: 'The username has control characters.' };
    const sub = subForUsername(username);
    return { ok: true, sub, idToken: this.sign(sub, username) };
  }

  /** Signs an ID token shaped like Cognito's (`token_use: id`, `cognito:username`). */
  sign(sub: string, username: string, overrides: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', kid: this.kid, typ: 'JWT' };
    const payload = {
      'sub': sub,
      'cognito:username': username,
      'token_use': 'id',
      'iss': this.options.issuer,
      'aud': LOCAL_CLIENT_ID,
      'auth_time': now,
      'iat': now,
      'exp': now + this.ttl,
      'jti': crypto.randomUUID(),
      ...overrides,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = crypto.sign('RSA-SHA256', Buffer.from(input), this.key);
    return `${input}.${b64url(signature)}`;
  }
}
