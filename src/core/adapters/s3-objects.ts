import {
  DeleteObjectCommand, DeleteObjectTaggingCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isImageType, PENDING_TAG } from '../../contract/attachments';
import type { AwsEnv } from '../../contract/env';
import { ObjectStore, ObjectTooLargeError, PresignedRequest } from '../ports/attachments';

const PENDING_TAGGING = `${PENDING_TAG.key}=${PENDING_TAG.value}`;
/** Deletes in flight at once (a conversation may have many attachments). */
const DELETE_CONCURRENCY = 8;

/**
 * The attachments bucket through the real S3 client. Uploads are presigned PUTs whose signature
 * covers the host, the content type, the content length and the pending tag, so the browser can
 * upload exactly the file it declared and nothing else (docs/PROTOCOL.md §15).
 */
export class S3Objects implements ObjectStore {
  constructor(private readonly s3: S3Client, private readonly bucket: string) {}

  public async presignPut(key: string, contentType: string, size: number, seconds: number): Promise<PresignedRequest> {
    const cmd = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType, ContentLength: size, Tagging: PENDING_TAGGING });
    const url = await getSignedUrl(this.s3, cmd, {
      expiresIn: seconds,
      // The presigner leaves content-type unsigned and hoists x-amz-* into the query unless told.
      signableHeaders: new Set(['content-type', 'content-length']),
      unhoistableHeaders: new Set(['x-amz-tagging']),
    });
    return { url, headers: { 'content-type': contentType, 'x-amz-tagging': PENDING_TAGGING } };
  }

  public async presignGet(key: string, contentType: string, seconds: number, fileName?: string): Promise<string> {
    // Images show inline; documents download (an HTML file is never rendered from the bucket).
    const image = isImageType(contentType);
    const cmd = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentType: image ? contentType : 'application/octet-stream',
      ResponseContentDisposition: image ? 'inline' : attachmentDisposition(fileName),
    });
    return getSignedUrl(this.s3, cmd, { expiresIn: seconds });
  }

  public async read(key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const size = r.ContentLength ?? 0;
      if (size > maxBytes) {
        (r.Body as { destroy?: () => void } | undefined)?.destroy?.();
        throw new ObjectTooLargeError(size);
      }
      const bytes = await r.Body!.transformToByteArray();
      if (bytes.length > maxBytes) throw new ObjectTooLargeError(bytes.length);
      return bytes;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as Error)?.name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  public async keep(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectTaggingCommand({ Bucket: this.bucket, Key: key }));
  }

  public async delete(keys: readonly string[]): Promise<void> {
    const queue = [...keys];
    const worker = async () => {
      for (let k = queue.shift(); k !== undefined; k = queue.shift()) await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k }));
    };
    await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, queue.length) }, worker));
  }
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The S3 client of the attachments bucket. Checksums only where S3 requires them: a presigned PUT
 * must not carry a checksum of an empty body. Against an emulator: path-style on its endpoint.
 */
export function createS3Client(aws: AwsEnv, endpoint: string | undefined): S3Client {
  return new S3Client({
    region: aws.region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(aws.localCredentials && endpoint ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/**
 * `attachment`, with the display name as the saved file's name (RFC 6266 `filename*`, UTF-8
 * percent-encoded, so Hangul and quotes need no escaping).
 */
export function attachmentDisposition(fileName?: string): string {
  if (!fileName) return 'attachment';
  return `attachment; filename*=UTF-8''${encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
