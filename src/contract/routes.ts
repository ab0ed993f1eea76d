/**
 * The routes the deployed APIs define and the local stack serves: the WebSocket API (route
 * selection, routes, which route is asynchronous and the request template its integration runs)
 * and the history HTTP API (docs/PROTOCOL.md §1–2). The construct and the local gateways both
 * build from these lists.
 */

/** WebSocket route selection: the `action` field of a JSON message. */
export const ROUTE_SELECTION_EXPRESSION = '$request.body.action';

/** Query parameter the `$connect` authorizer reads the ID token from (its identity source). */
export const CONNECT_TOKEN_PARAM = 'token';
/** The authorizer's identity source in API Gateway's notation. */
export const CONNECT_IDENTITY_SOURCE = `route.request.querystring.${CONNECT_TOKEN_PARAM}`;

/** WebSocket route keys. */
export const WS_ROUTES = {
  connect: '$connect',
  disconnect: '$disconnect',
  default: '$default',
  sendMessage: 'sendMessage',
  regenerate: 'regenerate',
  stop: 'stop',
  ping: 'ping',
} as const;

/** The routes selected by `action`, besides `$connect`, `$disconnect` and `$default`. */
export const MESSAGE_ROUTES: readonly string[] = [WS_ROUTES.sendMessage, WS_ROUTES.regenerate, WS_ROUTES.stop, WS_ROUTES.ping];

/**
 * The request template of the asynchronous `sendMessage` integration: the same shape as the
 * proxy event the other routes get, with `body` as a JSON object (docs/RUNTIME.md §3).
 * API Gateway renders it with Velocity; the local gateway renders the same text (src/local/vtl.ts).
 */
export const SEND_MESSAGE_TEMPLATE = asyncTemplate(WS_ROUTES.sendMessage);

/** The request template of the asynchronous `regenerate` integration: the same shape as `sendMessage`'s. */
export const REGENERATE_TEMPLATE = asyncTemplate(WS_ROUTES.regenerate);

function asyncTemplate(routeKey: string): string {
  return `{"requestContext":{"routeKey":"${routeKey}","connectionId":"$context.connectionId",`
    + '"domainName":"$context.domainName","stage":"$context.stage","requestId":"$context.requestId",'
    + '"authorizer":{"principalId":"$context.authorizer.principalId"}},"body":$input.json(\'$\')}';
}

/** A route invoked asynchronously (`X-Amz-Invocation-Type: Event`) through a request template. */
export interface AsyncRoute {
  readonly routeKey: string;
  /** The template API Gateway renders into the Lambda event. */
  readonly requestTemplate: string;
  /** The template key; the integration's template selection expression selects it. */
  readonly templateKey: string;
}

/**
 * Routes that answer at once and invoke the chat function without waiting for it, so a reply
 * may stream for longer than API Gateway's 29-second integration timeout.
 */
export const ASYNC_ROUTES: readonly AsyncRoute[] = [
  { routeKey: WS_ROUTES.sendMessage, requestTemplate: SEND_MESSAGE_TEMPLATE, templateKey: '$default' },
  { routeKey: WS_ROUTES.regenerate, requestTemplate: REGENERATE_TEMPLATE, templateKey: '$default' },
];

/** The async route for `routeKey`, if it is one. */
export function asyncRoute(routeKey: string): AsyncRoute | undefined {
  return ASYNC_ROUTES.find((r) => r.routeKey === routeKey);
}

/** Where the history API lives on the site: CloudFront forwards `/api/*` to it unchanged. */
export const HISTORY_API_PREFIX = '/api';

/** HTTP methods of the history routes. */
export type HistoryMethod = 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';

/** One history route; `path` is below {@link HISTORY_API_PREFIX}, `{name}` a path parameter. */
export interface HistoryRoute {
  readonly method: HistoryMethod;
  readonly path: string;
}

/** The routes of docs/PROTOCOL.md §2. */
export const HISTORY_ROUTES: readonly HistoryRoute[] = [
  { method: 'GET', path: '/conversations' },
  { method: 'GET', path: '/conversations/{id}' },
  { method: 'PATCH', path: '/conversations/{id}' },
  { method: 'DELETE', path: '/conversations/{id}' },
  { method: 'GET', path: '/conversations/{id}/messages' },
  { method: 'GET', path: '/instructions' },
  { method: 'PUT', path: '/instructions' },
  { method: 'PUT', path: '/conversations/{id}/active' },
  // Attachments (§15).
  { method: 'POST', path: '/attachments' },
  { method: 'GET', path: '/attachments/{id}' },
  { method: 'POST', path: '/attachments/{id}/complete' },
  { method: 'GET', path: '/attachments/{id}/content' },
];

/** A matched route: the API's route key (`GET /api/conversations/{id}`) and its path parameters. */
export interface RouteMatch {
  readonly route: HistoryRoute;
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
}

/**
 * Finds the history route for `method` and `path` (below the prefix, e.g. `/conversations/abc`),
 * the way the HTTP API matches them: whole segments, a parameter matches one non-empty segment.
 * Undefined means 404.
 */
export function matchHistoryRoute(method: string, path: string): RouteMatch | undefined {
  const segments = path.split('/');
  for (const route of HISTORY_ROUTES) {
    if (route.method !== method.toUpperCase()) continue;
    const pattern = route.path.split('/');
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((p, i) => {
      const m = /^\{(\w+)\}$/.exec(p);
      if (!m) return p === segments[i];
      if (segments[i] === '') return false;
      try {
        params[m[1]] = decodeURIComponent(segments[i]);
      } catch {
        return false;
      }
      return true;
    });
    if (ok) {
      return {
        route,
        routeKey: `${route.method} ${HISTORY_API_PREFIX}${route.path}`,
        ...(Object.keys(params).length ? { pathParameters: params } : {}),
      };
    }
  }
  return undefined;
}
