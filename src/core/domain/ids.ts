import { randomBytes } from 'node:crypto';

/** A fresh protocol id: 22 characters of base64url (128 random bits). */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** ISO-8601 UTC with milliseconds, the protocol's time format. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
