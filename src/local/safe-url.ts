/**
 * Request-line parsing that never throws. `new URL` and `decodeURIComponent` throw on input a
 * client controls (`GET http://127.0.0.1:99999/`, `%zz`); in a request listener that exception
 * would end the whole local stack, so every listener parses through these and answers 400.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { sendJson } from './http-util';

/** The request target as a URL, or undefined when it is not a valid one. */
export function requestUrl(req: { url?: string }): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** `decodeURIComponent`, or undefined for a malformed escape. */
export function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** The one-line reason every listener gives for a request target it cannot read. */
export const BAD_REQUEST_LINE = 'Bad request: the request target is not a valid URL.';

/** Answers 400 with a one-line JSON reason (the request's body is drained, not read). */
export function badRequest(res: ServerResponse, message: string = BAD_REQUEST_LINE, headers: Record<string, string> = {}): void {
  if (res.headersSent) res.end();
  else sendJson(res, 400, { message }, { connection: 'close', ...headers });
  (res.req as IncomingMessage | undefined)?.resume();
}

/**
 * Wraps a request listener so a synchronous throw (a parser this module does not cover) answers
 * 400 or 500 instead of ending the process.
 */
export function guarded<Req extends IncomingMessage, Res extends ServerResponse>(listener: (req: Req, res: Res) => void,
  log: (line: string) => void = () => undefined): (req: Req, res: Res) => void {
  return (req, res) => {
    try {
      listener(req, res);
    } catch (err) {
      const uri = err instanceof URIError || (err as NodeJS.ErrnoException)?.code === 'ERR_INVALID_URL';
      if (!uri) log(`request failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
      if (res.headersSent) return void res.destroy();
      if (uri) return badRequest(res);
      res.writeHead(500, { 'content-type': 'application/json', 'connection': 'close' });
      res.end(JSON.stringify({ message: 'Internal Server Error' }));
    }
  };
}
