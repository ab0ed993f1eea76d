import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ServerFrame } from '../../contract/protocol';
import type { Outbox } from '../ports/outbox';
import type { Telemetry } from '../ports/telemetry';

/**
 * Frames to one WebSocket connection through `@connections`. After a GoneException (the client
 * left) every later post is skipped: the caller keeps generating and storing.
 */
export class ConnectionOutbox implements Outbox {
  public gone = false;
  /** Frames posted successfully. */
  public posted = 0;

  constructor(private readonly client: ApiGatewayManagementApiClient, private readonly connectionId: string,
    private readonly telemetry?: Telemetry) {}

  public async post(frame: ServerFrame): Promise<'ok' | 'gone'> {
    if (this.gone) return 'gone';
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: this.connectionId, Data: Buffer.from(JSON.stringify(frame)) }));
      this.posted++;
      return 'ok';
    } catch (err) {
      if ((err as Error).name === 'GoneException') {
        this.gone = true;
        return 'gone';
      }
      this.telemetry?.warn('post failed', { type: frame.type, error: (err as Error).name });
      return 'ok';
    }
  }
}
