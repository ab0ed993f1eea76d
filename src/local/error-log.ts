/**
 * The local stack's terminal is its CloudWatch: the handlers log JSON at WARN and above only, and
 * a failed reply is not a warning to them, so a developer saw nothing when the model failed. The
 * stack watches what the handlers post to clients and prints one line per reply error.
 */
import type { ConnectionSink } from './connections-server';

/** Error codes worth a line on the terminal: the model's and our own (not the user's BUSY, limits…). */
const LOGGED = /^(MODEL_|INTERNAL)/;

/** The one line for a posted frame, or undefined when it is not a logged error. */
export function errorFrameLine(data: Buffer | string): string | undefined {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  // Cheap test first: deltas are most of the traffic.
  if (!text.includes('"error"') || text.length > 8192) return undefined;
  let frame: any;
  try {
    frame = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (frame?.type !== 'error' || typeof frame.code !== 'string' || !LOGGED.test(frame.code)) return undefined;
  return `reply error ${frame.code}${frame.replyId ? ` (reply ${frame.replyId})` : ''}: ${String(frame.message ?? '')}`;
}

/** `sink`, printing a line through `log` for each error frame posted through it. */
export function errorLoggingSink(sink: ConnectionSink, log: (line: string) => void): ConnectionSink {
  return {
    post: (connectionId, data) => {
      const line = errorFrameLine(data);
      if (line) log(line);
      return sink.post(connectionId, data);
    },
    info: (connectionId) => sink.info(connectionId),
    disconnect: (connectionId) => sink.disconnect(connectionId),
  };
}
