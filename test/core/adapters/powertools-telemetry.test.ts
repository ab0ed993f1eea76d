import { ErrorCode } from '../../../src/contract/protocol';
import { BedrockModel } from '../../../src/core/adapters/bedrock-model';
import { powertoolsTelemetry } from '../../../src/core/adapters/powertools-telemetry';
import { createBedrockClient } from '../../../src/core/aws';
import { ChatService } from '../../../src/core/chat';
import { chatConfigFromEnv } from '../../../src/core/config';
import type { MetricName, Telemetry } from '../../../src/core/ports/telemetry';
import { Emulators, id, outbox, startEmulators } from '../../support/harness';

class RecordingTelemetry implements Telemetry {
  public metrics: Array<[MetricName, number]> = [];
  public codes: ErrorCode[] = [];
  public logs: Array<[string, Record<string, unknown> | undefined]> = [];
  info(m: string, f?: Record<string, unknown>) { this.logs.push([m, f]); }
  warn(m: string, f?: Record<string, unknown>) { this.logs.push([m, f]); }
  error(m: string, f?: Record<string, unknown>) { this.logs.push([m, f]); }
  metric(n: MetricName, v: number) { this.metrics.push([n, v]); }
  errorCode(c: ErrorCode) { this.codes.push(c); }
  flush() {}
}

describe('telemetry', () => {
  test('Powertools telemetry writes EMF: metrics in the namespace, errors with a code dimension', () => {
    const saved = { ...process.env };
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    Object.assign(process.env, { POWERTOOLS_METRICS_NAMESPACE: 'ChatbotTest', POWERTOOLS_SERVICE_NAME: 'svc-1' });
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
    try {
      const t = powertoolsTelemetry('chat');
      t.metric('TimeToFirstToken', 123);
      t.metric('OutputTokens', 45);
      t.errorCode('MODEL_THROTTLED');
      t.flush();
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
    const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('CloudWatchMetrics')).map((l) => JSON.parse(l));
    const main = emf.find((e) => e.TimeToFirstToken !== undefined);
    expect(main._aws.CloudWatchMetrics[0].Namespace).toBe('ChatbotTest');
    expect(main._aws.CloudWatchMetrics[0].Metrics).toEqual(expect.arrayContaining([
      { Name: 'TimeToFirstToken', Unit: 'Milliseconds' }, { Name: 'OutputTokens', Unit: 'Count' },
    ]));
    expect(main.service).toBe('svc-1');
    const err = emf.find((e) => e.Errors !== undefined);
    expect(err.code).toBe('MODEL_THROTTLED');
    expect(err._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(expect.arrayContaining(['service', 'code']));
  });

  describe('chat service metrics and logs', () => {
    let em: Emulators;
    beforeAll(async () => { em = await startEmulators(); });
    afterAll(async () => { await em.close(); });

    test('a reply records time to first token, duration and tokens; a failure records its code; no message text is logged', async () => {
      const telemetry = new RecordingTelemetry();
      const bedrock = createBedrockClient(em.env);
      const service = new ChatService({ config: chatConfigFromEnv(em.env), store: em.store, model: new BedrockModel(bedrock), telemetry });
      em.brain.script = { tokens: ['비밀스러운 ', '답변'], usage: { inputTokens: 31, outputTokens: 2 } };
      await service.handleFrame('met', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '아주 비밀스러운 질문' }), outbox(em, id('conn')));
      const names = telemetry.metrics.map(([n]) => n);
      expect(names).toEqual(expect.arrayContaining(['TimeToFirstToken', 'StreamDuration', 'InputTokens', 'OutputTokens']));
      expect(telemetry.metrics.find(([n]) => n === 'InputTokens')![1]).toBe(31);
      em.brain.script = { failBefore: 'validationException' };
      await service.handleFrame('met', JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '실패' }), outbox(em, id('conn')));
      expect(telemetry.codes).toEqual(['MODEL_ERROR']);
      const logged = JSON.stringify(telemetry.logs);
      expect(logged).not.toContain('비밀스러운');
      bedrock.destroy();
    });
  });
});
