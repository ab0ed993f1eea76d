import { Worker } from 'node:worker_threads';
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
   * The figures come from dynalite's thread by message, a moment after the response: await
   * {@link LocalDynamo.observed} before reading them.
   */
  readonly observe?: (operation: string, body: Buffer, ms: number) => void;
}

/** A running embedded DynamoDB. */
export interface LocalDynamo {
  /** `http://127.0.0.1:PORT`, for `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  readonly tableName: string;
  /** Resolves once every request answered so far has reached `observe`. */
  observed(): Promise<void>;
  /** Stops the server and flushes/closes the LevelDB store. */
  close(): Promise<void>;
}

/** Static credentials for loopback emulators: the SDK signs requests, nobody checks them. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** Region the local emulators pretend to be in. */
export const LOCAL_REGION = 'us-east-1';

/**
 * dynalite's thread. Plain JavaScript in a string, because the worker must start the same way
 * from the compiled package, the esbuild-bundled CLI and ts-node/jest (a Worker given a .ts path
 * is not transformed, and a bundled CLI has no file of its own to point at). It requires
 * dynalite by the path the main thread resolved. Messages: `listening` {port}, `observe`
 * {op, body, ms} (only when observed), `synced` {id}, `closed` {message?}, `failed` {message}.
 */
const WORKER_SOURCE = `'use strict';
const { parentPort, workerData: o } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
const chain = (e) => { const out = []; for (let c = e; c && out.length < 4; c = c.cause) out.push(c.message || String(c)); return out.join(': '); };
let failed = false;
const fail = (e) => { if (!failed) parentPort.postMessage({ type: 'failed', message: chain(e) }); failed = true; };
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
(async () => {
  if (o.path) {
    // dynalite opens LevelDB lazily and reports a bad or locked directory on the first request
    // as "Database is closed", its cause dropped: one open and close first gives the cause.
    fs.mkdirSync(o.path, { recursive: true });
    const { Level } = require(require.resolve('level', { paths: [path.dirname(o.dynalite)] }));
    const db = new Level(o.path);
    await db.open();
    await db.close();
  }
  start();
})().catch(fail);
function start() {
  const server = require(o.dynalite)({ path: o.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  if (o.observe) {
    // dynalite's own listener reads the body too: 'data' goes to every listener.
    server.on('request', (req, res) => {
      const started = performance.now();
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      res.on('finish', () => {
        const op = String(req.headers['x-amz-target'] || '').split('.')[1] || '';
        parentPort.postMessage({ type: 'observe', op, body: Buffer.concat(chunks), ms: performance.now() - started });
      });
    });
  }
  server.once('error', fail);
  server.listen(o.port, o.host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
  parentPort.on('message', (m) => {
    // After the I/O callbacks already due, so a response the client has read has been observed.
    if (m.type === 'sync') setImmediate(() => parentPort.postMessage({ type: 'synced', id: m.id }));
    if (m.type === 'close') {
      server.close((err) => parentPort.postMessage({ type: 'closed', message: err ? chain(err) : undefined }));
      // SDK clients keep sockets alive; without this, close() waits for them to time out.
      server.closeAllConnections();
    }
  });
}
`;

/** What the worker posts (see {@link WORKER_SOURCE}). */
type WorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'observe'; op: string; body: Uint8Array; ms: number }
  | { type: 'synced'; id: number }
  | { type: 'closed'; message?: string }
  | { type: 'failed'; message: string };

/**
 * Starts dynalite on loopback, in a worker thread so that its CPU (HTTP parsing, expression
 * evaluation, LevelDB) runs beside the handlers on another core, and creates the chatbot table
 * exactly as the construct does (pk/sk, GSI `byUpdated` with projection ALL). dynalite does not
 * run TTL deletion: the store treats items past their `ttl` as absent, as it must in AWS too
 * (TTL deletes lazily). A start that fails (port in use, a data dir that cannot be opened)
 * rejects with dynalite's reason; a failure of the thread once started is thrown like an
 * in-process crash would be, since every later request would fail.
 */
export async function startDynamo(options: DynamoOptions = {}): Promise<LocalDynamo> {
  const host = options.host ?? '127.0.0.1';
  const observe = options.observe;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { dynalite: require.resolve('dynalite'), path: options.path, host, port: options.port ?? 0, observe: observe !== undefined },
  });
  const where = options.path ? ` (data in ${options.path})` : '';
  let failure: Error | undefined;
  let onFailure: (err: Error) => void = (err) => { throw err; };
  let onListening: (port: number) => void = () => undefined;
  let onClosed: (message?: string) => void = () => undefined;
  const synced = new Map<number, () => void>();
  let syncId = 0;
  const failWith = (message: string) => {
    if (failure) return;
    failure = new Error(`local DynamoDB (dynalite) failed${where}: ${message}`);
    void worker.terminate();
    for (const resolve of synced.values()) resolve();
    synced.clear();
    onFailure(failure);
  };
  worker.on('message', (m: WorkerMessage) => {
    switch (m.type) {
      case 'listening': return onListening(m.port);
      case 'observe': return observe?.(m.op, Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), m.ms);
      case 'synced': {
        synced.get(m.id)?.();
        synced.delete(m.id);
        return;
      }
      case 'closed': return onClosed(m.message);
      case 'failed': return failWith(m.message);
    }
  });
  worker.on('error', (err) => failWith(err.message));
  worker.on('exit', (code) => failWith(`its thread exited (code ${code})`));

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      onFailure = reject;
      onListening = resolve;
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  const endpoint = `http://${host}:${port}`;
  const tableName = options.tableName ?? 'chatbot';
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= new Promise<void>((resolve, reject) => {
    if (failure) return reject(failure);
    onFailure = reject;
    onClosed = (message) => {
      // LevelDB is flushed and closed: nothing is left in the thread worth waiting for.
      worker.removeAllListeners('exit');
      void worker.terminate().then(() => (message ? reject(new Error(`local DynamoDB (dynalite) close failed${where}: ${message}`)) : resolve()));
    };
    worker.postMessage({ type: 'close' });
  }));
  try {
    // A bad data dir shows on the first request: the table check fails (or the thread does).
    await Promise.race([ensureTable(client, tableName), new Promise<never>((_, reject) => { onFailure = reject; })]);
  } catch (err) {
    client.destroy();
    await close().catch(() => undefined);
    await worker.terminate();
    throw failure ?? err;
  }
  client.destroy();
  onFailure = (err) => { process.nextTick(() => { throw err; }); };
  return {
    endpoint,
    tableName,
    observed: () => (failure || !observe ? Promise.resolve() : new Promise<void>((resolve) => {
      const id = ++syncId;
      synced.set(id, resolve);
      worker.postMessage({ type: 'sync', id });
    })),
    close,
  };
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

