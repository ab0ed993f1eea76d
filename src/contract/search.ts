/**
 * Title search (docs/PROTOCOL.md §2): `GET /api/conversations?q=…` reads a user's conversations
 * newest first and answers the ones whose title holds the query. Pure: the browser bundle may use
 * it (the client checks a query the same way before it asks).
 */
import { charCount } from './protocol';
import { hasVisibleText } from './text-checks';

/** The query parameter of a title search. */
export const SEARCH_QUERY_PARAM = 'q';
/** A search query is 1 to this many characters (code points) after trimming. */
export const MAX_SEARCH_QUERY_CHARS = 100;
/** A search answers at most this many conversations a page unless `limit` says otherwise. */
export const DEFAULT_SEARCH_PAGE = 20;

/**
 * The form titles and queries are compared in: NFC (a decomposed Hangul syllable equals the
 * composed one, so a query matches by whole syllables), lower case, inner whitespace one space.
 */
export function searchKey(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase().replace(/\s+/g, ' ');
}

/** The query as compared (trimmed, {@link searchKey}), or why it is refused. */
export function checkSearchQuery(raw: string): { key: string } | { error: string } {
  const text = raw.trim();
  if (text.length === 0 || !hasVisibleText(text)) return { error: 'q must have at least one visible character.' };
  if (charCount(text) > MAX_SEARCH_QUERY_CHARS) return { error: `q may be at most ${MAX_SEARCH_QUERY_CHARS} characters.` };
  return { key: searchKey(text) };
}

/** Whether a title holds the query key (from {@link checkSearchQuery}). */
export function titleMatches(title: string, key: string): boolean {
  return searchKey(title).includes(key);
}
