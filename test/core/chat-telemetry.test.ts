import { id } from '../support/ids';
import { RecordingTelemetry } from '../support/memory/recording-telemetry';
import { chatService, memoryRuntime, outbox } from '../support/memory/runtime';

const em = memoryRuntime();

describe('chat service metrics and logs', () => {
  test('a reply records time to first token, duration and tokens; a failure records its code; no message text is logged', async () => {
    const telemetry = new RecordingTelemetry();
    const { service } = chatService(em, undefined, {}, telemetry);
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
  });
});
