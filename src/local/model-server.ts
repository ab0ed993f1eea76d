import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { EventStreamCodec, MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { Brain, BrainError, BrainErrorType, BrainRequest, ConverseMessage, estimateTokens } from './model/brain';
import { converseFiles, filesTokens } from './model/converse-files';
import { requestUrl, safeDecode } from './safe-url';

export * from './model/brain';
export { offlineBrain, offlineReplyText } from './model/offline';
export type { OfflineBrainOptions } from './model/offline';
export { ScriptedBrain } from './model/scripted';
export type { Script } from './model/scripted';

/** A running Bedrock-Runtime-compatible endpoint. */
export interface ModelServer {
  /** Base URL for `BEDROCK_ENDPOINT`. */
  readonly endpoint: string;
  /** Swaps the brain for later requests. */
  setBrain(brain: Brain): void;
  close(): Promise<void>;
}

/** Options of {@link startModelServer}. */
export interface ModelServerOptions {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Told of every error the brain answers with (the local stack logs them on its terminal). */
  readonly onError?: (type: string, message: string) => void;
  /** Told of every request as decoded, before the brain answers it (tests read what the model was sent). */
  readonly onRequest?: (request: BrainRequest) => void;
}

/** The response API shared by HTTP/1.1 and HTTP/2 (compat) responses. */
type Res = http.ServerResponse | http2.Http2ServerResponse;
type Req = http.IncomingMessage | http2.Http2ServerRequest;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** HTTP status and error name of each modelled error when raised before the stream starts. */
const HTTP_ERRORS: Record<BrainErrorType, [number, string]> = {
  throttlingException: [429, 'ThrottlingException'],
  validationException: [400, 'ValidationException'],
  accessDeniedException: [403, 'AccessDeniedException'],
  resourceNotFoundException: [404, 'ResourceNotFoundException'],
  modelStreamErrorException: [424, 'ModelStreamErrorException'],
  serviceUnavailableException: [503, 'ServiceUnavailableException'],
  internalServerException: [500, 'InternalServerException'],
  modelTimeoutException: [408, 'ModelTimeoutException'],
};

/** Encoded header blocks by message and event type: the same three headers on every token. */
const headerBlocks = new Map<string, Buffer>();

/** The header block of an event, as the SDK's own codec encodes it (taken from an empty message). */
function headerBlock(eventType: string, messageType: 'event' | 'exception'): Buffer {
  const key = `${messageType}:${eventType}`;
  let block = headerBlocks.get(key);
  if (!block) {
    const headers: MessageHeaders = {
      ':message-type': { type: 'string', value: messageType },
      [messageType === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
    };
    const empty = Buffer.from(codec.encode({ headers, body: new Uint8Array(0) }));
    block = empty.subarray(PRELUDE_BYTES, PRELUDE_BYTES + empty.readUInt32BE(4));
    headerBlocks.set(key, block);
  }
  return block;
}

/** Total length, headers length, prelude CRC. */
const PRELUDE_BYTES = 12;

/**
 * One `application/vnd.amazon.eventstream` message: prelude, headers, JSON payload, message CRC
 * (CRC-32, as zlib computes it). Byte for byte what `EventStreamCodec.encode` gives, at a fraction
 * of its cost: the stream sends one per token, and the codec re-encodes the headers and computes
 * both CRCs in JavaScript every time (test/local/model-server-events.test.ts compares the two).
 */
export function eventMessage(eventType: string, body: object, messageType: 'event' | 'exception' = 'event'): Uint8Array {
  const headers = headerBlock(eventType, messageType);
  const payload = JSON.stringify(body);
  const payloadBytes = Buffer.byteLength(payload);
  const total = PRELUDE_BYTES + headers.length + payloadBytes + 4;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headers.length, 4);
  out.writeUInt32BE(zlib.crc32(out.subarray(0, 8)), 8);
  headers.copy(out, PRELUDE_BYTES);
  out.write(payload, PRELUDE_BYTES + headers.length, 'utf8');
  out.writeUInt32BE(zlib.crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

function sendErrorAnswer(res: Res, type: BrainErrorType | string, message: string): void {
  const [status, name] = HTTP_ERRORS[type as BrainErrorType] ?? [500, 'InternalServerException'];
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': name });
  res.end(JSON.stringify({ message }));
}

function toBrainRequest(modelId: string, body: any, streaming: boolean): BrainRequest {
  if (typeof body !== 'object' || body === null || !Array.isArray(body.messages) || body.messages.length === 0) {
    throw new BrainError('validationException', 'messages must be a non-empty list');
  }
  const messages: ConverseMessage[] = body.messages.map((m: any) => {
    const content = Array.isArray(m?.content) ? m.content : [];
    const files = converseFiles(m?.role, content);
    const texts = content.filter((c: any) => c?.image === undefined && c?.document === undefined);
    return { role: m?.role, content: texts, ...(files.length ? { files } : {}) };
  });
  // Converse's own rules: starts with a user turn, roles alternate.
  messages.forEach((m, i) => {
    if (m.role !== (i % 2 === 0 ? 'user' : 'assistant')) {
      throw new BrainError('validationException', 'A conversation must start with a user message and alternate between user and assistant roles.');
    }
  });
  const system = Array.isArray(body.system) ? body.system.map((s: any) => String(s?.text ?? '')) : [];
  return { modelId, messages, system, inferenceConfig: body.inferenceConfig ?? {}, streaming };
}

function inputEstimate(req: BrainRequest): number {
  return estimateTokens(req.system.join('\n') + req.messages.map((m) => m.content.map((c) => c.text ?? '').join('')).join('\n'))
    + req.messages.reduce((n, m) => n + filesTokens(m.files ?? []), 0);
}

async function handle(brain: Brain, req: Req, res: Res, raw: Buffer, onError: (type: string, message: string) => void,
  onRequest?: (request: BrainRequest) => void): Promise<void> {
  const sendError = (r: Res, type: BrainErrorType | string, message: string) => {
    onError(type, message);
    sendErrorAnswer(r, type, message);
  };
  if (!requestUrl(req)) return sendError(res, 'validationException', 'The request target is not a valid URL.');
  const m = /^\/model\/([^/]+)\/(converse-stream|converse)$/.exec((req.url ?? '').split('?')[0]);
  if (req.method !== 'POST' || !m) {
    res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
    res.end(JSON.stringify({ message: 'Unknown operation' }));
    return;
  }
  const modelId = safeDecode(m[1]);
  if (modelId === undefined) return sendError(res, 'validationException', 'The model id in the path has a bad percent-escape.');
  const streaming = m[2] === 'converse-stream';
  const abort = new AbortController();
  // The caller hung up (e.g. the chat handler stopped the stream): the brain stops producing.
  // 'finish' also fires on a reset HTTP/2 stream, so "we ended it" is tracked here, not read from res.
  let finished = false;
  const origEnd = res.end.bind(res) as (...a: unknown[]) => unknown;
  (res as { end: (...a: unknown[]) => unknown }).end = (...a: unknown[]) => { finished = true; return origEnd(...a); };
  res.on('close', () => { if (!finished) abort.abort(); });
  const started = Date.now();
  let request: BrainRequest;
  let pieces: Awaited<ReturnType<Brain['converse']>>;
  try {
    let body: unknown;
    try { body = JSON.parse(raw.toString('utf8')); } catch { throw new BrainError('validationException', 'The request body is not JSON.'); }
    request = toBrainRequest(modelId, body, streaming);
    onRequest?.(request);
    pieces = await brain.converse(request, abort.signal);
  } catch (err) {
    if (err instanceof BrainError) return sendError(res, err.type, err.message);
    return sendError(res, 'internalServerException', String((err as Error)?.message ?? err));
  }

  let text = '';
  let count = 0;
  if (!streaming) {
    try {
      let r = await pieces.next();
      while (!r.done) { text += r.value; r = await pieces.next(); }
      const finish = r.value || {};
      const usage = finish.usage ?? { inputTokens: inputEstimate(request), outputTokens: estimateTokens(text) };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        output: { message: { role: 'assistant', content: [{ text }] } },
        stopReason: finish.stopReason ?? 'end_turn',
        usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
        metrics: { latencyMs: Date.now() - started },
      }));
    } catch (err) {
      if (err instanceof BrainError) return sendError(res, err.type, err.message);
      return sendError(res, 'internalServerException', String((err as Error)?.message ?? err));
    }
    return;
  }

  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': `local-${started}` });
  const write = (chunk: Uint8Array) => { if (!abort.signal.aborted) (res as http.ServerResponse).write(chunk); };
  write(eventMessage('messageStart', { role: 'assistant' }));
  try {
    let r = await pieces.next();
    while (!r.done) {
      text += r.value;
      count++;
      write(eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text: r.value } }));
      r = await pieces.next();
    }
    if (abort.signal.aborted) return;
    const finish = r.value || {};
    const usage = finish.usage ?? { inputTokens: inputEstimate(request), outputTokens: Math.max(count, estimateTokens(text)) };
    write(eventMessage('contentBlockStop', { contentBlockIndex: 0 }));
    write(eventMessage('messageStop', { stopReason: finish.stopReason ?? 'end_turn' }));
    write(eventMessage('metadata', {
      usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
      metrics: { latencyMs: Date.now() - started },
    }));
  } catch (err) {
    const type = err instanceof BrainError ? err.type : 'internalServerException';
    onError(type, String((err as Error)?.message ?? err));
    write(eventMessage(type, { message: String((err as Error)?.message ?? err) }, 'exception'));
  }
  res.end();
}

/**
 * Starts a loopback Bedrock Runtime-compatible server: `POST /model/{modelId}/converse-stream`
 * in the real `application/vnd.amazon.eventstream` encoding and `POST /model/{modelId}/converse`,
 * both answered by `brain`. The real `@aws-sdk/client-bedrock-runtime` parses both.
 */
export async function startModelServer(brain: Brain, options: ModelServerOptions = {}): Promise<ModelServer> {
  let current = brain;
  const onRequest = (req: Req, res: Res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(current, req, res, Buffer.concat(chunks), options.onError ?? (() => undefined), options.onRequest).catch((err) => {
        if (!res.headersSent) sendErrorAnswer(res, 'internalServerException', String((err as Error)?.message ?? err));
        else res.end();
      });
    });
  };
  // The SDK's Bedrock Runtime client speaks HTTP/2 (cleartext, prior knowledge) by default; other
  // clients (curl, a NodeHttpHandler) speak HTTP/1.1. One port serves both: peek at the preface.
  const h1 = http.createServer(onRequest);
  const h2 = http2.createServer(onRequest);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('readable', () => {
      const head: Buffer | null = socket.read();
      if (head === null) return;
      socket.unshift(head);
      (head.subarray(0, 3).toString('latin1') === 'PRI' ? h2 : h1).emit('connection', socket);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://${host}:${port}`,
    setBrain: (b) => { current = b; },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    }),
  };
}
