import * as net from 'node:net';
import { FetchError } from 'aws-jwt-verify/error';
import { telemetryFromEnv } from '../../src/contract/env';
import { METRICS } from '../../src/contract/metrics';
import { createTokenVerifier, powertoolsAuthorizerTelemetry } from '../../src/core/token-verifier';
import { AuthorizerHandler, AuthorizerTelemetry, createAuthorizerHandler } from '../../src/handlers/authorizer';
import { synth } from '../infra/fixtures';
import { makeKey, serveJwks, signJwt, TestKey } from '../support/jwt';

// The AuthorizerErrors alarm must count real failures only. A Lambda authorizer yields 401 only by
// failing with "Unauthorized", and every failed invocation counts in Lambda's Errors; so the
// authorizer counts its refusals in TokensRejected and the alarm watches the difference. These
// tests run the real handler with the real Powertools EMF output against the alarm the construct
// synthesizes.

const ISSUER = 'http://127.0.0.1/local';
const AUDIENCE = 'chatbot-local';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect';
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'user-123', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600, token_use: 'id', ...extra });
const event = (token?: string) => ({ type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: token === undefined ? {} : { token } } as any);

let key: TestKey;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
beforeAll(async () => {
  key = makeKey('key-1');
  jwks = await serveJwks([key]);
});
afterAll(async () => { await jwks.close(); });

/** The alarm of the authorizer as synthesized: its math expression and the metrics behind its ids. */
function authorizerAlarm() {
  const { template } = synth();
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  const [id] = Object.keys(alarms).filter((k) => /AuthorizerErrors/.test(k));
  const queries: any[] = alarms[id].Properties.Metrics;
  const expression = queries.find((q) => q.Expression && q.ReturnData !== false);
  const fns = template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Verifies the Cognito ID token at WebSocket $connect' } });
  const env = (Object.values(fns)[0] as any).Properties.Environment.Variables;
  return { expression: expression.Expression as string, queries, env };
}

/** Evaluates the CloudWatch metric math the alarm uses (ids, FILL(id, n), + and -). */
function evaluate(expression: string, values: Record<string, number | undefined>): number {
  const term = (t: string): number => {
    const fill = /^FILL\((\w+),\s*(-?\d+(?:\.\d+)?)\)$/.exec(t);
    if (fill) return values[fill[1]] ?? Number(fill[2]);
    if (/^\w+$/.test(t)) {
      if (values[t] === undefined) throw new Error(`no data for ${t}`);
      return values[t]!;
    }
    throw new Error(`unsupported metric math term "${t}"`);
  };
  const parts = expression.split(/\s+([+-])\s+/);
  let total = term(parts[0]);
  for (let i = 1; i < parts.length; i += 2) total += (parts[i] === '+' ? 1 : -1) * term(parts[i + 1]);
  return total;
}

/** Runs invocations as Lambda counts them: Errors = invocations that failed; plus the EMF written. */
async function invoke(handler: AuthorizerHandler, tokens: Array<string | undefined>) {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
  let errors = 0;
  const outcomes: string[] = [];
  try {
    for (const t of tokens) {
      try {
        await handler(event(t));
        outcomes.push('allowed');
      } catch (err) {
        errors++;
        outcomes.push((err as Error).message === 'Unauthorized' ? '401' : '500');
      }
    }
  } finally {
    spy.mockRestore();
    if (saved !== undefined) process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
  const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('CloudWatchMetrics')).map((l) => JSON.parse(l));
  return { errors, outcomes, emf };
}

/** Sums the EMF datapoints that the alarm's metric query `id` selects (namespace, name, dimensions). */
function sumFor(query: any, emf: any[]): number | undefined {
  const stat = query.MetricStat.Metric;
  let sum: number | undefined;
  for (const doc of emf) {
    const directive = doc._aws.CloudWatchMetrics[0];
    if (directive.Namespace !== stat.Namespace) continue;
    if (!directive.Metrics.some((m: any) => m.Name === stat.MetricName)) continue;
    const dims: string[] = directive.Dimensions[0];
    const want = (stat.Dimensions ?? []) as Array<{ Name: string; Value: string }>;
    if (dims.length !== want.length || !want.every((d) => dims.includes(d.Name) && doc[d.Name] === d.Value)) continue;
    sum = (sum ?? 0) + doc[stat.MetricName];
  }
  return sum;
}

function deployedAuthorizer(env: Record<string, string>, jwksUri: string): AuthorizerHandler {
  return createAuthorizerHandler({
    verifier: createTokenVerifier({ mode: 'generic', issuer: ISSUER, audience: AUDIENCE, jwksUri }),
    telemetry: powertoolsAuthorizerTelemetry(telemetryFromEnv(env, 'authorizer')),
  });
}

describe('AuthorizerErrors counts failures, not refused tokens', () => {
  test('forged, expired and missing tokens get 401 and leave the alarm metric at 0; valid ones pass', async () => {
    const alarm = authorizerAlarm();
    const handler = deployedAuthorizer(alarm.env, jwks.uri);
    const forger = makeKey('key-1');
    const run = await invoke(handler, [
      signJwt(key, claims()),
      signJwt(forger, claims()),
      signJwt(key, claims({ iat: now() - 7200, exp: now() - 60 })),
      '',
      'not.a.jwt',
    ]);
    expect(run.outcomes).toEqual(['allowed', '401', '401', '401', '401']);
    expect(run.errors).toBe(4);
    const rejected = sumFor(alarm.queries.find((q) => q.Id === 'rejected'), run.emf);
    expect(rejected).toBe(4);
    expect(alarm.queries.find((q) => q.Id === 'rejected').MetricStat.Metric.MetricName).toBe(METRICS.tokensRejected);
    expect(evaluate(alarm.expression, { errors: run.errors, rejected })).toBe(0);
  });

  test('an authorizer that cannot reach its JWKS fails (500), counts no rejection, and raises the alarm metric', async () => {
    const alarm = authorizerAlarm();
    // A loopback port with nothing listening: the JWKS fetch is refused.
    const probe = net.createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
    await new Promise<void>((r) => probe.close(() => r()));
    const handler = deployedAuthorizer(alarm.env, `http://127.0.0.1:${port}/jwks.json`);
    const run = await invoke(handler, [signJwt(key, claims())]);
    expect(run.outcomes).toEqual(['500']);
    expect(run.errors).toBe(1);
    const rejected = sumFor(alarm.queries.find((q) => q.Id === 'rejected'), run.emf);
    expect(rejected).toBeUndefined();
    const threshold = Object.values(synth().template.findResources('AWS::CloudWatch::Alarm'))
      .map((a: any) => a.Properties).find((p: any) => /JWKS unreachable/.test(p.AlarmDescription)).Threshold;
    expect(evaluate(alarm.expression, { errors: run.errors, rejected })).toBeGreaterThanOrEqual(threshold);
  });

  test('the handler tells rejections and failures apart through its telemetry port', async () => {
    const seen: string[] = [];
    const telemetry: AuthorizerTelemetry = { rejected: (r) => seen.push(`rejected:${r}`), failed: (e) => seen.push(`failed:${e instanceof FetchError ? 'FetchError' : e.name}`) };
    const ok = createAuthorizerHandler({ verifier: { verify: async () => { throw new Error('bad signature'); } }, telemetry });
    await expect(ok(event('x.y.z'))).rejects.toThrow('Unauthorized');
    await expect(ok(event())).rejects.toThrow('Unauthorized');
    const down = createAuthorizerHandler({ verifier: createTokenVerifier({ mode: 'generic', issuer: ISSUER, audience: AUDIENCE, jwksUri: 'http://127.0.0.1:9/jwks.json' }), telemetry });
    await expect(down(event(signJwt(key, claims())))).rejects.not.toThrow('Unauthorized');
    expect(seen).toEqual(['rejected:Error', 'rejected:no token', 'failed:FetchError']);
  });

  test('the evaluator refuses expressions it does not know, so a changed alarm cannot pass unread', () => {
    expect(() => evaluate('errors * 2', { errors: 1 })).toThrow(/unsupported/);
    expect(evaluate('FILL(errors, 0) - FILL(rejected, 0)', {})).toBe(0);
  });
});
