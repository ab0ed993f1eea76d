import { telemetryFromEnv } from '../../../src/contract/env';
import { powertoolsTelemetry } from '../../../src/core/adapters/powertools-telemetry';

describe('Powertools telemetry', () => {
  test('Powertools telemetry writes EMF: metrics in the namespace, errors with a code dimension', () => {
    const saved = { ...process.env };
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    Object.assign(process.env, { POWERTOOLS_METRICS_NAMESPACE: 'ChatbotTest', POWERTOOLS_SERVICE_NAME: 'svc-1' });
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
    try {
      const t = powertoolsTelemetry(telemetryFromEnv(process.env, 'chat'));
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
});
