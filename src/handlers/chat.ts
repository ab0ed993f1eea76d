import type { Context } from 'aws-lambda';
import { WS_ROUTES } from '../contract/routes';
import type { FrameContext } from '../core/chat';
import type { Outbox } from '../core/ports/outbox';
import type { Telemetry } from '../core/ports/telemetry';

/** The parts of the API Gateway WebSocket event the chat handler reads (proxy or async template). */
export interface ChatEvent {
  requestContext: {
    routeKey: string;
    connectionId: string;
    domainName?: string;
    stage?: string;
    authorizer?: { principalId?: string };
  };
  body?: string | Record<string, unknown> | null;
}

/** Which connection an outbox posts to. */
export interface OutboxTarget {
  readonly connectionId: string;
  readonly domainName?: string;
  readonly stage?: string;
}

/** What the chat handler is built from. */
export interface ChatHandlerDeps {
  /** The chat runtime: one raw client frame of a verified user in, frames out through `out`. */
  readonly service: { handleFrame(user: string, body: unknown, out: Outbox, ctx?: FrameContext): Promise<void> };
  /** The outbox to one connection (`@connections` of the API the event came through). */
  readonly outbox: (target: OutboxTarget) => Outbox;
  readonly telemetry: Telemetry;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The chat Lambda handler. */
export type ChatHandler = (event: ChatEvent, context?: Partial<Context>) => Promise<{ statusCode: number }>;

/**
 * Routes `$connect`, `$disconnect`, `sendMessage`, `stop`, `ping` and `$default`. Everything the
 * client is told goes out through `@connections`; the route answer is only a status.
 */
export function createChatHandler(deps: ChatHandlerDeps): ChatHandler {
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    const route = event.requestContext.routeKey;
    if (route === WS_ROUTES.connect || route === WS_ROUTES.disconnect) return { statusCode: 200 };
    const user = event.requestContext.authorizer?.principalId;
    if (!user) {
      // Cannot happen behind the authorizer; refuse rather than guess an identity.
      deps.telemetry.error('no principal on a routed frame', { route });
      return { statusCode: 401 };
    }
    const { connectionId, domainName, stage } = event.requestContext;
    const out = deps.outbox({ connectionId, domainName, stage });
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    await deps.service.handleFrame(user, event.body ?? '', out, { deadline: remaining !== undefined ? now() + remaining : undefined });
    return { statusCode: 200 };
  };
}
