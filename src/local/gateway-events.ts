/**
 * What the API Gateway WebSocket service hands to (and expects from) our Lambda functions: event
 * shapes per route, the authorizer's policy check, connection ids and handshake refusals. Kept
 * apart from the socket handling in gateway.ts so each shape can be compared with AWS's docs.
 */
import * as crypto from 'crypto';
import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import { headerMaps, requestId, requestTime } from './http-util';
import { renderTemplate } from './vtl';
import { AsyncRoute, WS_ROUTES } from '../contract/routes';

const API_ID = 'localwsapi';
const ACCOUNT = '000000000000';
const REGION = 'local';

/** The fields of a connection that appear in its events. */
export interface ConnectionFacts {
  readonly id: string;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent?: string;
}

/** A new connection id shaped like API Gateway's (base64 with `=`, e.g. `L0SM9cOFvHcCIhw=`). */
export function newConnectionId(): string {
  return crypto.randomBytes(10).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** True when the authorizer's policy allows `execute-api:Invoke` on `methodArn` and nothing denies it. */
export function policyAllows(policy: any, methodArn: string): boolean {
  const statements: any[] = Array.isArray(policy?.Statement) ? policy.Statement : policy?.Statement ? [policy.Statement] : [];
  const matches = (s: any) => {
    const actions = ([] as string[]).concat(s.Action ?? []);
    const resources = ([] as string[]).concat(s.Resource ?? []);
    const actionOk = actions.some((a) => a === '*' || a === 'execute-api:*' || a === 'execute-api:Invoke');
    const resourceOk = resources.some((r) => wildcard(r).test(methodArn));
    return actionOk && resourceOk;
  };
  if (statements.some((s) => s.Effect === 'Deny' && matches(s))) return false;
  return statements.some((s) => s.Effect === 'Allow' && matches(s));
}

/** Writes a plain HTTP answer on a socket that asked to upgrade, then closes it. */
export function refuse(socket: Duplex, status: number, text: string, body: unknown): void {
  const payload = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`
    + `Connection: close\r\n\r\n${payload}`,
  );
}

/** The request parts of a `$connect` handshake, as both of its events carry them. */
export interface HandshakeParts {
  readonly headers: Record<string, string>;
  readonly multiValueHeaders: Record<string, string[]>;
  readonly queryStringParameters?: Record<string, string>;
  readonly multiValueQueryStringParameters?: Record<string, string[]>;
}

/** Reads headers and query parameters of an upgrade request the way API Gateway passes them. */
export function handshakeParts(req: IncomingMessage, url: URL): HandshakeParts {
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    queryStringParameters[k] = v;
    (multiValueQueryStringParameters[k] ??= []).push(v);
  }
  // API Gateway leaves the query fields out entirely when there is no query string.
  const hasQuery = Object.keys(queryStringParameters).length > 0;
  return { ...headerMaps(req), ...(hasQuery ? { queryStringParameters, multiValueQueryStringParameters } : {}) };
}

/** Builds the events of one WebSocket API stage. */
export class GatewayEvents {
  /** The ARN the `$connect` authorizer's policy must allow. */
  public readonly connectMethodArn: string;

  constructor(private readonly stage: string, private readonly domainName: string) {
    this.connectMethodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${stage}/${WS_ROUTES.connect}`;
  }

  /** `requestContext` common to every event of a connection. */
  context(c: ConnectionFacts, routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') {
    const now = new Date();
    return {
      routeKey,
      eventType,
      messageDirection: 'IN',
      extendedRequestId: requestId(),
      requestId: requestId(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      stage: this.stage,
      domainName: this.domainName,
      apiId: API_ID,
      connectionId: c.id,
      connectedAt: c.connectedAt,
      identity: { sourceIp: c.sourceIp, ...(c.userAgent ? { userAgent: c.userAgent } : {}) },
    };
  }

  /** The REQUEST authorizer's event at `$connect`. */
  authorizerRequest(c: ConnectionFacts, parts: HandshakeParts) {
    return { type: 'REQUEST', methodArn: this.connectMethodArn, ...parts, stageVariables: {}, requestContext: this.context(c, WS_ROUTES.connect, 'CONNECT') };
  }

  /** The proxy event of `$connect`, after the authorizer allowed it. */
  connect(c: ConnectionFacts, parts: HandshakeParts, authorizer: Record<string, unknown>) {
    return { ...parts, requestContext: { ...this.context(c, WS_ROUTES.connect, 'CONNECT'), authorizer }, isBase64Encoded: false };
  }

  /** The proxy event of a message route. */
  message(c: ConnectionFacts, routeKey: string, authorizer: Record<string, unknown>, data: Buffer, isBinary: boolean) {
    const requestContext = { ...this.context(c, routeKey, 'MESSAGE'), messageId: requestId(), authorizer };
    return isBinary
      ? { requestContext, body: data.toString('base64'), isBase64Encoded: true }
      : { requestContext, body: data.toString('utf8'), isBase64Encoded: false };
  }

  /**
   * The event of an asynchronous integration: its request template (src/contract/routes.ts, the
   * text the deployed integration has) rendered with Velocity over this message, as API Gateway
   * does. Throws when the template does not render to JSON (AWS would fail the integration too).
   */
  asyncMessage(c: ConnectionFacts, route: AsyncRoute, authorizer: Record<string, unknown>, body: string): unknown {
    const context = { ...this.context(c, route.routeKey, 'MESSAGE'), messageId: requestId(), authorizer };
    return JSON.parse(renderTemplate(route.requestTemplate, { body, context }));
  }

  /** The proxy event of `$disconnect`. */
  disconnect(c: ConnectionFacts, authorizer: Record<string, unknown>, code: number, reason: string) {
    return {
      headers: {},
      multiValueHeaders: {},
      requestContext: { ...this.context(c, WS_ROUTES.disconnect, 'DISCONNECT'), authorizer, disconnectStatusCode: code, disconnectReason: reason },
      isBase64Encoded: false,
    };
  }
}
