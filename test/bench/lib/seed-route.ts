/**
 * Puts the seed protocol on the same WebSocket API as ours: frames with `action: "seed"` fall to
 * the `$default` route, where this wrapper answers them the seed's way; everything else goes to
 * our real chat handler untouched. So both protocols share one gateway, one `@connections`
 * endpoint, one model server and one client socket, and only the protocol differs.
 */
import { SeedProtocol } from './seed-protocol';

/** A Lambda-style handler, as the gateway emulator invokes it. */
export type Handler = (event: any, context?: any) => Promise<any>;

/** The frame a bench client sends to ask for a seed-protocol answer. */
export interface SeedRequestFrame {
  action: 'seed';
  request_id: string;
  text: string;
}

/** Wraps `chat` so `$default` frames with `action: "seed"` are answered by `seed`. */
export function withSeedRoute(chat: Handler, seed: () => SeedProtocol): Handler {
  return async (event: any, context?: any) => {
    const ctx = event?.requestContext;
    if (ctx?.routeKey === '$default' && typeof event.body === 'string' && !event.isBase64Encoded) {
      let body: Partial<SeedRequestFrame> | undefined;
      try {
        body = JSON.parse(event.body);
      } catch {
        body = undefined;
      }
      if (body?.action === 'seed' && typeof body.text === 'string' && typeof body.request_id === 'string') {
        await seed().answer(ctx.connectionId, body.request_id, body.text);
        return { statusCode: 200 };
      }
    }
    return chat(event, context);
  };
}
