/**
 * A small S3-compatible endpoint for the local stack's attachments bucket (docs/LOCAL.md): path-style
 * PUT/GET/HEAD/DELETE of objects and DELETE of their tagging, in memory or under a folder. Every
 * request must carry a valid SigV4 signature — the SDK client's `Authorization` header or a URL
 * that the real `@aws-sdk/s3-request-presigner` made — recomputed with `@smithy/signature-v4`,
 * so a URL with another content type, length, key or an expired date is refused as S3 refuses it.
 * CORS answers the site's origin only.
 */
import { createHash, createHmac, timingSafeEqual } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { SignatureV4 } from '@smithy/signature-v4';
import { HostPolicy } from './host-check';

/** The local credentials the handlers' clients use (src/core/adapters/s3-objects.ts). */
const ACCESS_KEY = 'local';
const SECRET_KEY = 'local';
/** S3's own limit of one PUT. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** The emulator keeps objects in memory up to this size each (attachments are a few MB). */
const MAX_LOCAL_OBJECT_BYTES = 64 * 1024 * 1024;
const SIGNING_QUERY = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

class Sha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}
function toBuffer(d: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d);
}

interface StoredObject {
  body: Buffer;
  contentType: string;
  tagging?: string;
  lastModified: Date;
}

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  readonly host: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** The buckets that exist. */
  readonly buckets: readonly string[];
  /** Origins answered by CORS (the site's). */
  readonly allowedOrigins: readonly string[];
  /** Keep objects under this folder; in memory when undefined. */
  readonly dataDir?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** A running emulator. */
export interface S3Server {
  /** `http://host:port`. */
  readonly endpoint: string;
  /** What is stored (tests read it to prove what was, or was not, kept). */
  object(bucket: string, key: string): { body: Buffer; contentType: string; tagging?: string } | undefined;
  keys(bucket: string): string[];
  close(): Promise<void>;
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string, cors: Record<string, string>): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), ...cors });
  res.end(body);
}

/** `20261202T044549Z` → epoch ms. */
function amzDate(s: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Starts the emulator. */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const now = options.now ?? Date.now;
  const memory = new Map<string, Map<string, StoredObject>>(options.buckets.map((b) => [b, new Map()]));
  const dir = options.dataDir;
  const file = (bucket: string, key: string) => path.join(dir!, bucket, `${Buffer.from(key).toString('base64url')}.json`);

  const get = (bucket: string, key: string): StoredObject | undefined => {
    if (!dir) return memory.get(bucket)?.get(key);
    try {
      const j = JSON.parse(fs.readFileSync(file(bucket, key), 'utf8'));
      return { body: Buffer.from(j.body, 'base64'), contentType: j.contentType, tagging: j.tagging, lastModified: new Date(j.lastModified) };
    } catch {
      return undefined;
    }
  };
  const put = (bucket: string, key: string, o: StoredObject) => {
    if (!dir) return void memory.get(bucket)!.set(key, o);
    fs.mkdirSync(path.join(dir, bucket), { recursive: true });
    fs.writeFileSync(file(bucket, key), JSON.stringify({ ...o, body: o.body.toString('base64') }));
  };
  const del = (bucket: string, key: string) => {
    if (!dir) return void memory.get(bucket)!.delete(key);
    fs.rmSync(file(bucket, key), { force: true });
  };

  let endpointHost = '';
  let hosts: HostPolicy | undefined;

  /** Checks the request's signature; answers the refusal itself and returns false when it is not valid. */
  async function authorized(req: http.IncomingMessage, url: URL, cors: Record<string, string>, res: http.ServerResponse): Promise<boolean> {
    const q = url.searchParams;
    const headerAuth = req.headers.authorization;
    const presigned = q.has('X-Amz-Signature');
    if (!headerAuth && !presigned) {
      xmlError(res, 403, 'AccessDenied', 'Anonymous access is not allowed.', cors);
      return false;
    }
    let credential: string;
    let signedHeaders: string[];
    let given: string;
    let date: string | undefined;
    if (presigned) {
      credential = q.get('X-Amz-Credential') ?? '';
      signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
      given = q.get('X-Amz-Signature') ?? '';
      date = q.get('X-Amz-Date') ?? undefined;
      const signedAt = amzDate(date);
      const expires = Number(q.get('X-Amz-Expires'));
      if (signedAt === undefined || !Number.isInteger(expires) || expires < 1 || expires > 604_800) {
        xmlError(res, 400, 'AuthorizationQueryParametersError', 'X-Amz-Date and X-Amz-Expires must be valid.', cors);
        return false;
      }
      if (now() > signedAt + expires * 1000) {
        xmlError(res, 403, 'AccessDenied', 'Request has expired', cors);
        return false;
      }
    } else {
      const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(String(headerAuth));
      if (!m) {
        xmlError(res, 400, 'InvalidArgument', 'Unsupported Authorization header.', cors);
        return false;
      }
      [, credential, , given] = m;
      signedHeaders = m[2].split(';');
      date = String(req.headers['x-amz-date'] ?? '');
      const signedAt = amzDate(date);
      // S3 refuses a request signed more than 15 minutes away from its clock.
      if (signedAt === undefined || Math.abs(now() - signedAt) > 15 * 60_000) {
        xmlError(res, 403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', cors);
        return false;
      }
    }
    const [accessKey, , region, service] = credential.split('/');
    if (accessKey !== ACCESS_KEY || service !== 's3' || !region) {
      xmlError(res, 403, 'InvalidAccessKeyId', 'The access key does not exist.', cors);
      return false;
    }
    if (!signedHeaders.includes('host')) {
      xmlError(res, 403, 'AccessDenied', 'The host header must be signed.', cors);
      return false;
    }
    // The request as it was signed: the signed headers with the values that arrived.
    const headers: Record<string, string> = {};
    for (const h of signedHeaders) {
      const v = req.headers[h];
      if (v === undefined) {
        xmlError(res, 403, 'AccessDenied', `The signed header ${h} is missing.`, cors);
        return false;
      }
      headers[h] = Array.isArray(v) ? v.join(',') : v;
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of q) {
      if (presigned && SIGNING_QUERY.includes(k)) continue;
      const prev = query[k];
      query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
    }
    const signer = new SignatureV4({ credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, region, service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
    const request = { method: req.method ?? 'GET', protocol: 'http:', hostname: endpointHost, path: url.pathname, query, headers };
    const signingDate = new Date(amzDate(date)!);
    let expected: string;
    if (presigned) {
      // The presigner hoisted its X-Amz-Content-Sha256 header into the query; it is hashed as a
      // header, and hoisted again under the same name (the canonical query is case-sensitive).
      for (const k of Object.keys(query)) {
        const v = query[k];
        if (k.toLowerCase() !== 'x-amz-content-sha256' || typeof v !== 'string') continue;
        delete query[k];
        headers[k] = v;
      }
      const signed = await signer.presign(request, {
        signingDate,
        expiresIn: Number(q.get('X-Amz-Expires')),
        signableHeaders: new Set(signedHeaders),
        unhoistableHeaders: new Set(signedHeaders.filter((h) => h.startsWith('x-amz-'))),
      });
      expected = String(signed.query?.['X-Amz-Signature'] ?? '');
      if (String(signed.query?.['X-Amz-SignedHeaders']) !== signedHeaders.join(';')) expected = '';
    } else {
      const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(signedHeaders) });
      expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
    }
    if (!expected || !sameText(expected, given)) {
      xmlError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', cors);
      return false;
    }
    return true;
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const origin = req.headers.origin;
      // Like every local listener: only this endpoint's own names (DNS rebinding), only the site's pages.
      if (!hosts?.allowsHost(req.headers.host)) return xmlError(res, 403, 'AccessDenied', 'The Host is not a name of this endpoint.', {});
      if (origin !== undefined && !options.allowedOrigins.includes(origin)) return xmlError(res, 403, 'AccessDenied', 'Cross-site requests are refused.', {});
      const cors: Record<string, string> = origin && options.allowedOrigins.includes(origin)
        ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'etag', 'vary': 'origin' }
        : {};
      if (req.method === 'OPTIONS') {
        if (!cors['access-control-allow-origin']) return xmlError(res, 403, 'CORSResponse', 'This CORS request is not allowed.', {});
        res.writeHead(200, {
          ...cors,
          'access-control-allow-methods': 'GET, PUT, HEAD',
          'access-control-allow-headers': 'content-type, x-amz-tagging',
          'access-control-max-age': '3000',
        });
        return res.end();
      }
      const url = new URL(req.url ?? '/', 'http://s3.local');
      const [, bucket, ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      if (!memory.has(bucket)) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', cors);
      if (!key) return xmlError(res, 405, 'MethodNotAllowed', 'Only object requests are served.', cors);
      if (!(await authorized(req, url, cors, res))) return req.resume();
      const tagging = url.searchParams.has('tagging');
      switch (req.method) {
        case 'PUT': {
          if (tagging) return xmlError(res, 501, 'NotImplemented', 'PutObjectTagging is not emulated.', cors);
          const declared = Number(req.headers['content-length']);
          if (!Number.isSafeInteger(declared) || declared < 0) return xmlError(res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.', cors);
          if (declared > Math.min(MAX_PUT_BYTES, MAX_LOCAL_OBJECT_BYTES)) return xmlError(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', cors);
          const chunks: Buffer[] = [];
          let got = 0;
          for await (const c of req) {
            got += (c as Buffer).length;
            if (got > declared) return xmlError(res, 400, 'IncompleteBody', 'The body is longer than Content-Length.', cors);
            chunks.push(c as Buffer);
          }
          if (got !== declared) return xmlError(res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', cors);
          const body = Buffer.concat(chunks);
          const t = req.headers['x-amz-tagging'];
          put(bucket, key, {
            body,
            contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
            ...(typeof t === 'string' ? { tagging: t } : {}),
            lastModified: new Date(now()),
          });
          res.writeHead(200, { ...cors, 'etag': `"${createHash('md5').update(body).digest('hex')}"`, 'content-length': 0 });
          return res.end();
        }
        case 'GET':
        case 'HEAD': {
          const o = get(bucket, key);
          if (!o) {
            if (req.method === 'HEAD') {
              res.writeHead(404, cors);
              return res.end();
            }
            return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', cors);
          }
          const p = url.searchParams;
          res.writeHead(200, {
            ...cors,
            'content-type': p.get('response-content-type') ?? o.contentType,
            ...(p.get('response-content-disposition') ? { 'content-disposition': p.get('response-content-disposition')! } : {}),
            'content-length': o.body.length,
            'etag': `"${createHash('md5').update(o.body).digest('hex')}"`,
            'last-modified': o.lastModified.toUTCString(),
          });
          return res.end(req.method === 'HEAD' ? undefined : o.body);
        }
        case 'DELETE': {
          if (tagging) {
            const o = get(bucket, key);
            if (!o) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.', cors);
            put(bucket, key, { ...o, tagging: undefined });
          } else {
            del(bucket, key);
          }
          res.writeHead(204, cors);
          return res.end();
        }
        default:
          return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', cors);
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) xmlError(res, 500, 'InternalError', (err as Error).message, {});
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  endpointHost = `${host}:${port}`;
  hosts = new HostPolicy({ port, listenHost: options.host });
  return {
    endpoint: `http://${endpointHost}`,
    object: (bucket, key) => {
      const o = get(bucket, key);
      return o ? { body: o.body, contentType: o.contentType, ...(o.tagging ? { tagging: o.tagging } : {}) } : undefined;
    },
    keys: (bucket) => {
      if (!dir) return [...(memory.get(bucket)?.keys() ?? [])];
      try {
        return fs.readdirSync(path.join(dir, bucket)).map((f) => Buffer.from(f.replace(/\.json$/, ''), 'base64url').toString());
      } catch {
        return [];
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
