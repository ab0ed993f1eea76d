/**
 * Raw HTTP over a TCP socket: writes a request exactly as given (a request line no HTTP client
 * would send) and reads the status line and body of the answer.
 */
import * as net from 'net';

/** What came back: the status (0 when the socket closed without an answer) and the rest. */
export interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Sends `request` (CRLFs included) to `port` on 127.0.0.1 and resolves with the first answer. */
export function rawRequest(port: number, request: string, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got ${JSON.stringify(data)}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const split = data.indexOf('\r\n\r\n');
      const head = split >= 0 ? data.slice(0, split) : data;
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const raw = split >= 0 ? data.slice(split + 4) : '';
      resolve({ status: m ? Number(m[1]) : 0, head, body: /\r\ntransfer-encoding: *chunked/i.test(head) ? dechunk(raw) : raw });
    };
    socket.on('data', (chunk) => {
      data += chunk.toString('utf8');
      const split = data.indexOf('\r\n\r\n');
      if (split < 0) return;
      const head = data.slice(0, split);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (length && Buffer.byteLength(data.slice(split + 4)) >= Number(length[1])) finish();
      else if (/\r\ntransfer-encoding: *chunked/i.test(head) && data.endsWith('\r\n0\r\n\r\n')) finish();
    });
    socket.on('end', finish);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(request);
  });
}

/** The payload of a chunked body. */
function dechunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const nl = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, nl), 16);
    if (nl < 0 || !(size > 0)) return out;
    out += Buffer.from(rest.slice(nl + 2)).subarray(0, size).toString('utf8');
    rest = Buffer.from(rest.slice(nl + 2)).subarray(size + 2).toString('utf8');
  }
}

/** The upgrade headers of a WebSocket handshake (without the final blank line). */
export const UPGRADE_HEADERS = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n'
  + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
