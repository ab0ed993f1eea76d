/**
 * The attachments part of the history and chat functions' environment (docs/OPERATIONS.md §IAM):
 * the bucket, and against an emulator its endpoint. No bucket: attachments are off.
 */

export const ATTACHMENTS_ENV = {
  bucket: 'ATTACHMENTS_BUCKET',
  s3Endpoint: 'S3_ENDPOINT',
} as const;

export interface AttachmentsEnv {
  readonly bucket: string;
  /** A path-style S3-compatible endpoint (the local stack's); unset in AWS. */
  readonly s3Endpoint?: string;
}

/** The attachments settings, or undefined when the deployment has none. */
export function attachmentsFromEnv(env: Record<string, string | undefined>): AttachmentsEnv | undefined {
  const bucket = env[ATTACHMENTS_ENV.bucket];
  if (!bucket) return undefined;
  return { bucket, s3Endpoint: env[ATTACHMENTS_ENV.s3Endpoint] || undefined };
}

export function attachmentsToEnv(s: { bucket: string }): Record<string, string> {
  return { [ATTACHMENTS_ENV.bucket]: s.bucket };
}
