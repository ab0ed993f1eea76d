/**
 * The attachments part of the history and chat functions' environment (docs/OPERATIONS.md §IAM):
 * the bucket, and against an emulator its endpoint. No bucket: attachments are off.
 */

import { MAX_UPLOAD_BYTES_PER_DAY, MAX_UPLOADS_PER_DAY } from './attachments';

export const ATTACHMENTS_ENV = {
  bucket: 'ATTACHMENTS_BUCKET',
  s3Endpoint: 'S3_ENDPOINT',
  maxUploadsPerDay: 'ATTACHMENTS_MAX_UPLOADS_PER_DAY',
  maxUploadBytesPerDay: 'ATTACHMENTS_MAX_UPLOAD_BYTES_PER_DAY',
} as const;

export interface AttachmentsEnv {
  readonly bucket: string;
  /** A path-style S3-compatible endpoint (the local stack's); unset in AWS. */
  readonly s3Endpoint?: string;
  /** @default MAX_UPLOADS_PER_DAY */
  readonly maxUploadsPerDay?: number;
  /** @default MAX_UPLOAD_BYTES_PER_DAY */
  readonly maxUploadBytesPerDay?: number;
}

function positive(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
}

/** The attachments settings, or undefined when the deployment has none. */
export function attachmentsFromEnv(env: Record<string, string | undefined>): AttachmentsEnv | undefined {
  const bucket = env[ATTACHMENTS_ENV.bucket];
  if (!bucket) return undefined;
  return {
    bucket,
    s3Endpoint: env[ATTACHMENTS_ENV.s3Endpoint] || undefined,
    maxUploadsPerDay: positive(env, ATTACHMENTS_ENV.maxUploadsPerDay, MAX_UPLOADS_PER_DAY),
    maxUploadBytesPerDay: positive(env, ATTACHMENTS_ENV.maxUploadBytesPerDay, MAX_UPLOAD_BYTES_PER_DAY),
  };
}

/** The construct's side of {@link attachmentsFromEnv}. */
export function attachmentsToEnv(s: { bucket: string; maxUploadsPerDay?: number; maxUploadBytesPerDay?: number }): Record<string, string> {
  return {
    [ATTACHMENTS_ENV.bucket]: s.bucket,
    ...(s.maxUploadsPerDay !== undefined ? { [ATTACHMENTS_ENV.maxUploadsPerDay]: String(s.maxUploadsPerDay) } : {}),
    ...(s.maxUploadBytesPerDay !== undefined ? { [ATTACHMENTS_ENV.maxUploadBytesPerDay]: String(s.maxUploadBytesPerDay) } : {}),
  };
}
