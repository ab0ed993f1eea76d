import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { RecordingSink, startConnectionsServer } from '../../src/local/connections-server';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/local/dynamo';

describe('local @connections endpoint', () => {
  const sink = new RecordingSink();
  let server: Awaited<ReturnType<typeof startConnectionsServer>>;
  let client: ApiGatewayManagementApiClient;
  beforeAll(async () => {
    server = await startConnectionsServer(sink, { stage: 'prod', maxPayloadBytes: 1000 });
    client = new ApiGatewayManagementApiClient({ endpoint: server.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => { client.destroy(); await server.close(); });

  test('the real SDK posts reach the sink in order, byte for byte', async () => {
    await client.send(new PostToConnectionCommand({ ConnectionId: 'conn-A=', Data: Buffer.from('{"n":"하나"}') }));
    await client.send(new PostToConnectionCommand({ ConnectionId: 'conn-A=', Data: Buffer.from('{"n":2}') }));
    expect(sink.frames('conn-A=')).toEqual([{ n: '하나' }, { n: 2 }]);
  });

  test('a gone connection answers 410, which the SDK raises as GoneException', async () => {
    sink.setGone('conn-B', 1);
    await client.send(new PostToConnectionCommand({ ConnectionId: 'conn-B', Data: Buffer.from('{}') }));
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: 'conn-B', Data: Buffer.from('{}') }))).rejects.toBeInstanceOf(GoneException);
    expect(sink.frames('conn-B')).toHaveLength(1);
    await expect(client.send(new GetConnectionCommand({ ConnectionId: 'conn-B' }))).rejects.toBeInstanceOf(GoneException);
  });

  test('GetConnection and DeleteConnection work; a deleted connection is gone', async () => {
    const info = await client.send(new GetConnectionCommand({ ConnectionId: 'conn-C' }));
    expect(info.Identity?.SourceIp).toBe('127.0.0.1');
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    await client.send(new DeleteConnectionCommand({ ConnectionId: 'conn-C' }));
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: 'conn-C', Data: Buffer.from('{}') }))).rejects.toBeInstanceOf(GoneException);
  });

  test('a payload at the limit is delivered and one byte over is refused with 413', async () => {
    await client.send(new PostToConnectionCommand({ ConnectionId: 'conn-D', Data: Buffer.alloc(1000, 0x61) }));
    await expect(client.send(new PostToConnectionCommand({ ConnectionId: 'conn-D', Data: Buffer.alloc(1001, 0x61) })))
      .rejects.toMatchObject({ name: 'PayloadTooLargeException' });
    expect(sink.posts.filter((p) => p.connectionId === 'conn-D').map((p) => p.data.length)).toEqual([1000]);
  });
});
