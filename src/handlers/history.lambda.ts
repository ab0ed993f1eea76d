import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { powertoolsTelemetry } from '../core/adapters/powertools-telemetry';
import { createDocumentClient } from '../core/aws';
import { envCached, RUNTIME_ENV } from '../core/env-cache';
import { HistoryService } from '../core/history';
import { ConversationStore } from '../core/store';

// Built on first use from the environment (the local stack sets env vars after importing us).
const getRuntime = envCached(RUNTIME_ENV, () => {
  const table = process.env.TABLE_NAME;
  if (!table) throw new Error('TABLE_NAME is not set');
  return { service: new HistoryService(new ConversationStore(createDocumentClient(), table)), telemetry: powertoolsTelemetry('history') };
});

/** HTTP API (payload v2) routes of PROTOCOL §2; identity only from the JWT authorizer's claims. */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer): Promise<APIGatewayProxyStructuredResultV2> {
  const { service, telemetry } = getRuntime();
  const sub = event.requestContext?.authorizer?.jwt?.claims?.sub;
  const body = event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const path = (event.rawPath ?? '').replace(/^\/api(?=\/|$)/, '');
  try {
    const r = await service.handle(typeof sub === 'string' && sub ? sub : undefined, {
      method: event.requestContext?.http?.method ?? 'GET',
      path,
      query: event.queryStringParameters ?? {},
      body,
    });
    return {
      statusCode: r.statusCode,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
    };
  } catch (err) {
    telemetry.error('history request failed', { error: (err as Error).name, detail: (err as Error).message });
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'INTERNAL', message: 'Something went wrong. Please try again.' }) };
  }
}
