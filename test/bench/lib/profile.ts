/**
 * Where the local stack spends a turn: every DynamoDB request dynalite answers (by operation and
 * by the item it touches, with its latency from arrival to response), every Lambda invocation the
 * gateway makes (by route), every `@connections` post, the event loop's delay and the process's
 * CPU use (`process.cpuUsage()` counts every thread). The harness
 * feeds it; a bench step brackets what it measures with `start()`/`stop()`. It only counts:
 * nothing here changes how a request is served.
 */
import * as os from 'node:os';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { percentile, round } from './stats';

/** Latency figures of one kind of request, ms. */
export interface LatencyFigures {
  n: number;
  perTurn: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** What one bracketed step cost. */
export interface ProfileResult {
  turns: number;
  seconds: number;
  /** DynamoDB requests per turn by operation (`GetItem`…), the deployed cost driver. */
  dynamoRequestsPerTurn: Record<string, number>;
  dynamoRequestsPerTurnTotal: number;
  /** The same requests by operation and item kind (`GetItem reply-pointer`…) with their latency. */
  dynamoByItem: Record<string, LatencyFigures>;
  /** Lambda invocations per turn by route (`authorizer`, `$connect`, `sendMessage`…). */
  lambdaInvocationsPerTurn: Record<string, number>;
  lambdaInvocationsPerTurnTotal: number;
  connectionsPostsPerTurn: number;
  /** Event-loop delay while the step ran (10 ms resolution), ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number; mean: number };
  /** CPU time of this process over wall time (1 = one core busy the whole time). */
  cpuCores: number;
  /** What that CPU time allows: see {@link cpuBudget}. */
  cpu: CpuBudget;
}

/** The CPU a step used, per turn, and the shortest the step could have taken on these cores. */
export interface CpuBudget {
  /** CPU ms of the whole process (every thread: handlers, emulators, dynalite, the bench's clients) over the step. */
  ms: number;
  msPerTurn: number;
  /** Cores the process could use (`os.availableParallelism()`). */
  cores: number;
  /** turns × msPerTurn ÷ cores: the step's wall time if every core were busy with it all along, ms. */
  floorMs: number;
}

/**
 * The CPU floor of a step: however well the work were spread over the cores, `turns` turns of
 * `cpuMs / turns` each cannot finish before `cpuMs / cores`. A first token later than that is
 * waiting for CPU time the machine does not have, not for a slow path.
 */
export function cpuBudget(cpuMs: number, turns: number, cores: number): CpuBudget {
  if (!(turns > 0) || !(cores > 0)) throw new Error(`cpuBudget: turns (${turns}) and cores (${cores}) must be positive`);
  const msPerTurn = cpuMs / turns;
  return { ms: round(cpuMs), msPerTurn: round(msPerTurn, 2), cores, floorMs: round((turns * msPerTurn) / cores) };
}

/** Short names of the item kinds by sort-key prefix (see src/core/store/item-keys.ts). */
const KINDS: Array<[string, string]> = [
  ['C#', 'conversation'], ['M#', 'message'], ['I#', 'claim'], ['R#', 'reply-pointer'], ['P#', 'part'], ['L#', 'rate-counter'],
];

function kindOf(sk: unknown): string {
  const s = typeof sk === 'string' ? sk : '';
  return KINDS.find(([p]) => s.startsWith(p))?.[1] ?? 'other';
}

/** The attributes an UpdateExpression assigns or removes, names resolved (first three). */
function updatedNames(body: any): string {
  const expr = String(body.UpdateExpression ?? '');
  const names: Record<string, string> = body.ExpressionAttributeNames ?? {};
  const out = expr.split(/\b(?:SET|REMOVE|ADD|DELETE)\b/).flatMap((clause) => clause.split(','))
    .map((a) => a.split('=')[0].trim().split(/\s+/)[0]).filter((a) => a.length > 0).map((a) => names[a] ?? a);
  return out.slice(0, 3).join(',');
}

/** `GetItem reply-pointer`, `UpdateItem conversation [leaseUntil]`, `BatchWriteItem Put message+Put reply-pointer`, … */
export function describeRequest(operation: string, raw: Buffer): string {
  let body: any;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return operation;
  }
  const sk = (item: any) => item?.sk?.S;
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
      return `${operation} ${kindOf(sk(body.Key))}`;
    case 'PutItem':
      return `${operation} ${kindOf(sk(body.Item))}`;
    case 'UpdateItem':
      return `${operation} ${kindOf(sk(body.Key))} [${updatedNames(body)}]`;
    case 'Query': {
      if (body.IndexName) return `Query ${body.IndexName}`;
      const pk = Object.values(body.ExpressionAttributeValues ?? {}).map((v: any) => v?.S).find((v) => typeof v === 'string' && /^[CU]#/.test(v));
      return `Query ${typeof pk === 'string' && pk.startsWith('C#') ? 'messages' : 'user items'}`;
    }
    case 'BatchWriteItem': {
      const requests = Object.values(body.RequestItems ?? {}).flat() as any[];
      return `BatchWriteItem ${requests.map((r) => (r.PutRequest ? `Put ${kindOf(sk(r.PutRequest.Item))}` : `Delete ${kindOf(sk(r.DeleteRequest?.Key))}`)).join('+')}`;
    }
    default:
      return operation;
  }
}

/** Counts what the harness reports between `start()` and `stop()`. */
export class StackProfile {
  private running = false;
  /** Requests as reported; labelled in stop(), after the CPU is read, so the labelling is not counted. */
  private dynamo: Array<{ operation: string; body: Buffer; ms: number }> = [];
  private byOperation = new Map<string, number>();
  private invocations = new Map<string, number>();
  private posts = 0;
  private loop?: IntervalHistogram;
  private startedAt = 0;
  private cpuAt = process.cpuUsage();

  /** Starts counting afresh. */
  public start(): void {
    this.dynamo = [];
    this.byOperation = new Map();
    this.invocations = new Map();
    this.posts = 0;
    this.loop = monitorEventLoopDelay({ resolution: 10 });
    this.loop.enable();
    this.startedAt = performance.now();
    this.cpuAt = process.cpuUsage();
    this.running = true;
  }

  /** Stops counting and returns the figures, divided by `turns` where they are per turn. */
  public stop(turns: number): ProfileResult {
    this.running = false;
    const wallMs = performance.now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpuAt);
    const loop = this.loop;
    loop?.disable();
    const perTurn = (n: number) => round(n / turns, 2);
    const perTurnOf = (m: Map<string, number>) => Object.fromEntries([...m.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, perTurn(n)]));
    const total = (m: Map<string, number>) => perTurn([...m.values()].reduce((a, b) => a + b, 0));
    const ns = (v: number | undefined) => round((v ?? NaN) / 1e6);
    const byLabel = new Map<string, number[]>();
    for (const r of this.dynamo) {
      const label = describeRequest(r.operation, r.body);
      let list = byLabel.get(label);
      if (!list) {
        list = [];
        byLabel.set(label, list);
      }
      list.push(r.ms);
    }
    const dynamoByItem = Object.fromEntries([...byLabel.entries()].sort((a, b) => b[1].length - a[1].length).map(([label, ms]) => [label, {
      n: ms.length,
      perTurn: perTurn(ms.length),
      meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length),
      p50Ms: round(percentile(ms, 50)),
      p99Ms: round(percentile(ms, 99)),
    }]));
    return {
      turns,
      seconds: round(wallMs / 1000),
      dynamoRequestsPerTurn: perTurnOf(this.byOperation),
      dynamoRequestsPerTurnTotal: total(this.byOperation),
      dynamoByItem,
      lambdaInvocationsPerTurn: perTurnOf(this.invocations),
      lambdaInvocationsPerTurnTotal: total(this.invocations),
      connectionsPostsPerTurn: perTurn(this.posts),
      eventLoopDelayMs: { p50: ns(loop?.percentile(50)), p99: ns(loop?.percentile(99)), max: ns(loop?.max), mean: ns(loop?.mean) },
      cpuCores: round((cpu.user + cpu.system) / 1000 / wallMs, 2),
      cpu: cpuBudget((cpu.user + cpu.system) / 1000, turns, os.availableParallelism()),
    };
  }

  /** One request dynalite answered. */
  public dynamoRequest(operation: string, body: Buffer, ms: number): void {
    if (!this.running) return;
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + 1);
    this.dynamo.push({ operation, body, ms });
  }

  /** One Lambda invocation (`authorizer`, or the route key). */
  public invocation(route: string): void {
    if (this.running) this.invocations.set(route, (this.invocations.get(route) ?? 0) + 1);
  }

  /** One `@connections` post. */
  public post(): void {
    if (this.running) this.posts++;
  }
}
