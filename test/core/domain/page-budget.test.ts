import { fittingCount, MAX_PAGE_PAYLOAD_BYTES, payloadBytes } from '../../../src/core/domain/page-budget';

describe('page byte budget', () => {
  test('payloadBytes counts an item as it sits in the Lambda payload (JSON body, JSON-encoded again)', () => {
    expect(payloadBytes({ t: 'a' })).toBe('{\\"t\\":\\"a\\"}'.length);
    expect(payloadBytes({ t: '\u0001' })).toBe('{\\"t\\":\\"\\\\u0001\\"}'.length);
    expect(payloadBytes({ t: '한' })).toBe('{\\"t\\":\\"한\\"}'.length + 2);
  });

  test('items are taken while they fit, never fewer than one', () => {
    const item = { t: 'x'.repeat(100) };
    const one = payloadBytes(item);
    expect(fittingCount([item, item, item], 2 * one + 1)).toBe(2);
    expect(fittingCount([item, item, item], 2 * one)).toBe(1);
    expect(fittingCount([item, item, item], 3 * one + 2)).toBe(3);
    expect(fittingCount([item], 1)).toBe(1);
    expect(fittingCount([])).toBe(0);
  });

  test('the largest message DynamoDB can hold (a 400 KB item of control characters) fits a page alone', () => {
    expect(payloadBytes({ text: '\u0001'.repeat(400 * 1024) })).toBeLessThan(MAX_PAGE_PAYLOAD_BYTES);
  });
});
