import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../contract/table-schema';

/** Options of {@link startDynamo}. */
export interface DynamoOptions {
  /** LevelDB directory that keeps the data across restarts; omit for in-memory. */
  readonly path?: string;
  /** Table to create (if missing). Default `chatbot`. */
  readonly tableName?: string;
  /** Loopback host. Default 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 (default) picks a free one. */
  readonly port?: number;
  /**
   * Called once per answered request with its operation (`x-amz-target`, e.g. `GetItem`), its
   * request body and the ms from its arrival to the end of the response (for the bench's profile).
   */
  readonly observe?: (operation: string, body: Buffer, ms: number) => void;
}

/** A running embedded DynamoDB. */
export interface LocalDynamo {
  /** `http://127.0.0.1:PORT`, for `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  readonly tableName: string;
  /** Stops the server and flushes/closes the LevelDB store. */
  close(): Promise<void>;
}

/** Static credentials for loopback emulators: the SDK signs requests, nobody checks them. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Region the local emulators pretend to be in. */
export const LOCAL_REGION = 'us-east-1';

/**
 * Starts dynalite on loopback and creates the chatbot table exactly as the construct does
 * (pk/sk, GSI `byUpdated` with projection ALL). dynalite does not run TTL deletion: the store
 * treats items past their `ttl` as absent, as it must in AWS too (TTL deletes lazily).
 */
export async function startDynamo(options: DynamoOptions = {}): Promise<LocalDynamo> {
  // dynalite is CommonJS without types; required lazily so importing this module stays cheap.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (o: object) => import('node:http').Server;
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const observe = options.observe;
  if (observe) {
    // dynalite's own listener reads the body too: 'data' goes to every listener.
    server.on('request', (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const started = performance.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      res.on('finish', () => {
        const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        observe(op, Buffer.concat(chunks), performance.now() - started);
      });
    });
  }
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}`;
  const tableName = options.tableName ?? 'chatbot';
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    await ensureTable(client, tableName);
  } catch (err) {
    client.destroy();
    await closeServer(server);
    throw err;
  } finally {
    client.destroy();
  }
  return { endpoint, tableName, close: () => closeServer(server) };
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return; // kept from an earlier run (on-disk store)
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const s = TABLE_SCHEMA;
  const g = s.updatedIndex;
  await client.send(new CreateTableCommand({
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: s.partitionKey, AttributeType: 'S' },
      { AttributeName: s.sortKey, AttributeType: 'S' },
      { AttributeName: g.partitionKey, AttributeType: 'S' },
      { AttributeName: g.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: s.partitionKey, KeyType: 'HASH' },
      { AttributeName: s.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [{
      IndexName: g.name,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: 'HASH' },
        { AttributeName: g.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }],
  }));
  for (let i = 0; i < 100; i++) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

function closeServer(server: import('node:http').Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // SDK clients keep sockets alive; without this, close() waits for them to time out.
    server.closeAllConnections();
  });
}
