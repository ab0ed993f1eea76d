import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HISTORY_API_PREFIX } from '../contract/routes';
import type { HistoryRequest, HistoryResponse } from '../core/history';
import type { Telemetry } from '../core/ports/telemetry';

/** What the history handler is built from. */
export interface HistoryHandlerDeps {
  /** The history API over the store; `user` only from the verified token. */
  readonly service: { handle(user: string | undefined, req: HistoryRequest): Promise<HistoryResponse> };
  readonly telemetry: Telemetry;
}

/** The history Lambda handler (HTTP API payload v2). */
export type HistoryHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer) => Promise<APIGatewayProxyStructuredResultV2>;

const PREFIX = new RegExp(`^${HISTORY_API_PREFIX}(?=/|$)`);

/** HTTP API (payload v2) routes of docs/PROTOCOL.md §2; identity only from the JWT authorizer's claims. */
export function createHistoryHandler(deps: HistoryHandlerDeps): HistoryHandler {
  return async (event): Promise<APIGatewayProxyStructuredResultV2> => {
    const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
    const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const path = (event.rawPath ?? '').replace(PREFIX, '');
    try {
      const r = await deps.service.handle(typeof sub === 'string' && sub ? sub : undefined, {
        method: event.requestContext?.http?.method ?? 'GET',
        path,
        query: event.queryStringParameters ?? {},
        body,
      });
      return {
        statusCode: r.statusCode,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...r.headers },
        ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
      };
    } catch (err) {
      deps.telemetry.error('history request failed', { error: (err as Error).name, detail: (err as Error).message });
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'INTERNAL', message: 'Something went wrong. Please try again.' }) };
    }
  };
}
