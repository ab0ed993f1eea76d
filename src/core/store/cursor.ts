/** Opaque paging cursors over a query's LastEvaluatedKey, refused unless they are the caller's own. */
import { cursorKeyFits } from './cursor-limits';
import { BadCursorError } from '../ports/store';

/** Opaque cursor of a query's LastEvaluatedKey. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

/**
 * The key of a cursor, refused unless it is exactly a key of the caller's own query: its fixed
 * attributes equal `expect` (the caller's own partition) and it has each of `prefixes` (the other
 * key attributes) starting with the given prefix and nothing else. DynamoDB answers a start key
 * it cannot use with an error, so a tampered cursor must be refused here to be a 400.
 */
export function decodeCursor(cursor: string | undefined, expect: Record<string, string>,
  prefixes: Record<string, string>): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  let key: any;
  try { key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')); } catch { throw new BadCursorError('bad cursor'); }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new BadCursorError('bad cursor');
  for (const [k, v] of Object.entries(expect)) if (key[k] !== v) throw new BadCursorError('bad cursor');
  for (const [k, p] of Object.entries(prefixes)) {
    if (typeof key[k] !== 'string' || !key[k].startsWith(p) || key[k].length === p.length) throw new BadCursorError('bad cursor');
  }
  if (Object.keys(key).length !== Object.keys(expect).length + Object.keys(prefixes).length) throw new BadCursorError('bad cursor');
  // `expect` holds partition keys and `prefixes` sort keys (of the table and of the index).
  if (!cursorKeyFits(key, Object.keys(expect), Object.keys(prefixes))) throw new BadCursorError('bad cursor');
  return key;
}
