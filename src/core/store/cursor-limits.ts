/**
 * DynamoDB's own limits on key values, checked on a decoded cursor before it becomes a query's
 * ExclusiveStartKey: DynamoDB answers a start key over them with a ValidationException (a 500 to
 * the client), so a forged cursor must be refused first (a 400).
 */

/** DynamoDB: a partition key value is 1 to 2048 bytes. */
export const MAX_PARTITION_KEY_BYTES = 2048;
/** DynamoDB: a sort key value is 1 to 1024 bytes. */
export const MAX_SORT_KEY_BYTES = 1024;

/** A string DynamoDB can store as a key: well-formed UTF-16 (no lone surrogate) of 1 to `max` UTF-8 bytes. */
export function fitsKey(value: unknown, max: number): boolean {
  if (typeof value !== 'string' || value.length === 0) return false;
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) return false;
  return Buffer.byteLength(value, 'utf8') <= max;
}

/**
 * Whether a cursor's key fits DynamoDB: every attribute of `partitionKeys` a key string of at most
 * 2048 bytes, every attribute of `sortKeys` one of at most 1024 bytes.
 */
export function cursorKeyFits(key: Record<string, unknown>, partitionKeys: string[], sortKeys: string[]): boolean {
  return partitionKeys.every((k) => fitsKey(key[k], MAX_PARTITION_KEY_BYTES))
    && sortKeys.every((k) => fitsKey(key[k], MAX_SORT_KEY_BYTES));
}
