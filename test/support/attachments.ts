/**
 * The rig of the attachment tests (docs/PROTOCOL.md §15): the emulators with the local S3 endpoint
 * as the attachments bucket, the deployed history handler called as the HTTP API calls it, and an
 * upload done as the browser does it (a slot, then the presigned PUT from the site's origin).
 */
import { Emulators, startEmulators } from './harness';
import { ATTACHMENTS_ENV } from '../../src/contract/attachments-env';
import { handler as history } from '../../src/handlers/history.lambda';
import { S3Server, startS3Server } from '../../src/local/s3-server';

/** The site origin the local S3 endpoint answers CORS for. */
export const SITE_ORIGIN = 'http://127.0.0.1:8787';

export interface AttachmentRig {
  em: Emulators;
  s3: S3Server;
  close(): Promise<void>;
}

/** Starts the local S3 endpoint with `bucket` and the emulators pointed at it. */
export async function startAttachmentRig(bucket: string): Promise<AttachmentRig> {
  const s3 = await startS3Server({ host: '127.0.0.1', buckets: [bucket], allowedOrigins: [SITE_ORIGIN] });
  const em = await startEmulators({ [ATTACHMENTS_ENV.bucket]: bucket, [ATTACHMENTS_ENV.s3Endpoint]: s3.endpoint });
  return {
    em,
    s3,
    close: async () => {
      await em.close();
      await s3.close();
    },
  };
}

/** One request to the history handler as `user` (a string body is sent as it is). */
export async function historyRequest(user: string, method: string, path: string, body?: unknown, query?: Record<string, string>) {
  const r = await history({
    rawPath: `/api${path}`,
    ...(query ? { queryStringParameters: query } : {}),
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method }, authorizer: { jwt: { claims: { sub: user }, scopes: [] } } },
  } as any);
  return { status: r.statusCode, headers: r.headers ?? {}, body: r.body ? JSON.parse(r.body) : undefined };
}

/** Creates a slot and uploads `bytes` with what the slot says, as the browser does. */
export async function uploadAttachment(user: string, name: string, contentType: string, bytes: Buffer, size = bytes.length) {
  const slot = await historyRequest(user, 'POST', '/attachments', { name, contentType, size });
  expect(slot.status).toBe(201);
  const put = await fetch(slot.body.upload.url, { method: 'PUT', body: new Uint8Array(bytes), headers: { ...slot.body.upload.headers, origin: SITE_ORIGIN } });
  return { id: slot.body.attachmentId as string, slot: slot.body, put };
}

/** A ready attachment of `user`: slot, the browser's presigned PUT, complete. */
export async function readyAttachment(user: string, name: string, contentType: string, bytes: Buffer): Promise<string> {
  const { id: attachmentId, put } = await uploadAttachment(user, name, contentType, bytes);
  expect(put.status).toBe(200);
  expect((await historyRequest(user, 'POST', `/attachments/${attachmentId}/complete`)).status).toBe(200);
  return attachmentId;
}
