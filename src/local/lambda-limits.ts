/**
 * Lambda's limit on a synchronous invocation's response, as the local emulators enforce it: Lambda
 * fails an invocation whose response payload (the handler's result, serialized as JSON) is larger
 * with `Function.ResponseSizeTooLarge` ("Response payload size exceeded maximum allowed payload size
 * (6291556 bytes)"), and an HTTP API answers the client 500 `{"message":"Internal Server Error"}`.
 */

/** Lambda's synchronous response payload limit: 6 MB as Lambda counts it (6 MiB + 100 bytes). */
export const LAMBDA_MAX_RESPONSE_BYTES = 6_291_556;

/** The size of a handler's result as Lambda serializes it (`undefined` is the payload `null`). */
export function lambdaResponseBytes(result: unknown): number {
  return Buffer.byteLength(JSON.stringify(result === undefined ? null : result) ?? 'null', 'utf8');
}

/** Lambda's error message for a too large response, or undefined when the result fits. */
export function responseTooLarge(result: unknown): string | undefined {
  const bytes = lambdaResponseBytes(result);
  if (bytes <= LAMBDA_MAX_RESPONSE_BYTES) return undefined;
  return `Function.ResponseSizeTooLarge: Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${LAMBDA_MAX_RESPONSE_BYTES} bytes).`;
}
