import { utf8Bytes } from '../../src/contract/protocol';
import { LAMBDA_MAX_RESPONSE_BYTES, lambdaResponseBytes } from '../../src/local/lambda-limits';
import { startHistoryHttp } from '../support/history-http';

// The HTTP API emulator enforces Lambda's response payload limit as Lambda and HTTP API do.

/** A structured result whose JSON serialization (Lambda's payload) is exactly `bytes` bytes, its body Hangul. */
function resultOfBytes(bytes: number) {
  const shell = { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' };
  const room = bytes - lambdaResponseBytes(shell);
  const result = { ...shell, body: '한'.repeat(Math.floor(room / 3)) + 'a'.repeat(room % 3) };
  expect(lambdaResponseBytes(result)).toBe(bytes);
  return result;
}

describe('HTTP API emulator: Lambda\'s 6 MB response limit', () => {
  test(`a response payload of exactly ${LAMBDA_MAX_RESPONSE_BYTES} bytes is delivered; one byte more is a logged 500`, async () => {
    let next: unknown;
    const api = await startHistoryHttp(async () => next);
    try {
      next = resultOfBytes(LAMBDA_MAX_RESPONSE_BYTES);
      const res = await fetch(new URL('/api/conversations', api.base()), { headers: { authorization: 'Bearer u1' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe((next as { body: string }).body);
      expect(api.logs).toEqual([]);

      next = resultOfBytes(LAMBDA_MAX_RESPONSE_BYTES + 1);
      const over = await api.send('u1', 'GET', '/conversations');
      expect([over.status, over.body]).toEqual([500, { message: 'Internal Server Error' }]);
      expect(api.logs).toEqual([expect.stringContaining(`Function.ResponseSizeTooLarge: Response payload size (${LAMBDA_MAX_RESPONSE_BYTES + 1} bytes)`)]);
    } finally { await api.close(); }
  });

  test('a plain-object answer (the 200 JSON shortcut) is counted the same way', async () => {
    const big = { items: ['\u0001'.repeat(LAMBDA_MAX_RESPONSE_BYTES / 6)] };
    expect(utf8Bytes(JSON.stringify(big))).toBeGreaterThan(LAMBDA_MAX_RESPONSE_BYTES);
    const api = await startHistoryHttp(async () => big);
    try {
      const over = await api.send('u2', 'GET', '/conversations');
      expect([over.status, over.body]).toEqual([500, { message: 'Internal Server Error' }]);
      expect(api.logs).toHaveLength(1);
    } finally { await api.close(); }
  });
});
