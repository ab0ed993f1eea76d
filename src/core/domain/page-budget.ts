/**
 * A history page is bounded by bytes as well as by `limit`: Lambda refuses a response payload over
 * 6 MB (6,291,556 bytes) and API Gateway then answers 500, so one page of large replies (a reply of
 * control characters grows six-fold as JSON `\u00XX`) could make a conversation unreadable.
 */

/**
 * The items of one page take at most this many bytes inside the Lambda response payload (the JSON
 * body, itself JSON-encoded as the payload's `body` string), leaving ~1 MiB of the 6 MB for the
 * envelope, the cursor and the headers.
 */
export const MAX_PAGE_PAYLOAD_BYTES = 5 * 1024 * 1024;

/**
 * The bytes one item takes in the payload. One message can never fill a page: DynamoDB's 400 KB item
 * bounds its text, and a UTF-8 byte takes at most 7 payload bytes (a control character: `\u0001`
 * in the body, `\\u0001` in the payload), so at most 2.8 MB.
 */
export function payloadBytes(item: unknown): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(item)), 'utf8') - 2;
}

/**
 * How many of `items` (in page order) fit in `budget` payload bytes: always at least one, so paging
 * always moves on.
 */
export function fittingCount(items: unknown[], budget: number = MAX_PAGE_PAYLOAD_BYTES): number {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += payloadBytes(items[i]) + (i > 0 ? 1 : 0);
    if (used > budget) return Math.max(1, i);
  }
  return items.length;
}
