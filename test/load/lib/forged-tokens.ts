/**
 * Tokens an attacker could present at `$connect`, each derived from a real one so only the part
 * under test is wrong. The authorizer must refuse every one with 401 before a socket opens.
 */
import * as crypto from 'node:crypto';

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function decode(token: string): { header: any; payload: any; signature: string } {
  const [h, p, s] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()), signature: s };
}

function sign(header: object, payload: object, key: crypto.KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${b64url(crypto.sign('RSA-SHA256', Buffer.from(input), key))}`;
}

/** Named forgeries of `validToken` (a real local ID token). */
export function forgedTokens(validToken: string): Array<{ name: string; token: string | undefined }> {
  const { header, payload, signature } = decode(validToken);
  const stranger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return [
    { name: 'no token', token: undefined },
    { name: 'not a JWT', token: 'definitely-not-a-jwt' },
    // Someone else's identity with the original signature: the signature no longer matches.
    { name: 'payload swapped, signature kept', token: `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify({ ...payload, sub: '00000000-0000-4000-a000-000000000000' }))}.${signature}` },
    { name: 'signed by a stranger\'s key with the same kid', token: sign(header, payload, stranger) },
    { name: 'alg none', token: `${b64url(JSON.stringify({ ...header, alg: 'none' }))}.${b64url(JSON.stringify(payload))}.` },
  ];
}
