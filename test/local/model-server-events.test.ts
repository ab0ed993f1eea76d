import { EventStreamCodec, MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { eventMessage } from '../../src/local/model-server';

// The local Bedrock endpoint frames each ConverseStream event itself (headers encoded once per
// event type, CRCs by zlib). It must give exactly the bytes the SDK's own codec gives; the SDK
// parsing a whole stream of them is test/support/model-server.test.ts.

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function reference(eventType: string, body: object, messageType: 'event' | 'exception' = 'event'): Uint8Array {
  const headers: MessageHeaders = {
    ':message-type': { type: 'string', value: messageType },
    [messageType === 'event' ? ':event-type' : ':exception-type']: { type: 'string', value: eventType },
    ':content-type': { type: 'string', value: 'application/json' },
  };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify(body)) });
}

const events: Array<[string, object, ('event' | 'exception')?]> = [
  ['messageStart', { role: 'assistant' }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: '안녕하세요' } }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: '😀 "quoted" \\ \u2028' } }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: '' } }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: '한'.repeat(20_000) } }],
  ['contentBlockStop', { contentBlockIndex: 0 }],
  ['messageStop', { stopReason: 'end_turn' }],
  ['metadata', { usage: { inputTokens: 12, outputTokens: 34, totalTokens: 46 }, metrics: { latencyMs: 5 } }],
  ['throttlingException', { message: 'Too many requests' }, 'exception'],
];

test.each(events.map((e) => [e[0], e] as const))('%s is framed byte for byte as the SDK codec frames it', (_name, [type, body, kind]) => {
  // Twice: the second one uses the header block kept from the first.
  for (let i = 0; i < 2; i++) expect(Buffer.from(eventMessage(type, body, kind))).toEqual(Buffer.from(reference(type, body, kind)));
});

test('the SDK codec decodes each message, checking both CRCs, back to its headers and body', () => {
  for (const [type, body, kind] of events) {
    const m = codec.decode(eventMessage(type, body, kind));
    expect(m.headers[kind === 'exception' ? ':exception-type' : ':event-type'].value).toBe(type);
    expect(m.headers[':message-type'].value).toBe(kind ?? 'event');
    expect(JSON.parse(toUtf8(m.body))).toEqual(body);
  }
  // A flipped payload byte is caught by the message CRC.
  const bad = Buffer.from(eventMessage('messageStop', { stopReason: 'end_turn' }));
  bad[bad.length - 6] = bad[bad.length - 6] === 0x41 ? 0x42 : 0x41;
  expect(() => codec.decode(bad)).toThrow(/checksum/i);
});
