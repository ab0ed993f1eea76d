/**
 * Limits chosen by the runtime (the README's runtime section names each one). Protocol limits live in
 * protocol.ts; these are about the store and the generator.
 */

/** A generation holds the conversation for this long past its latest lease renewal. */
export const LEASE_MS = 30_000;
/**
 * A generator stops this long before its lease runs out without a renewal (renewals come every
 * LEASE_RENEW_MS), so a write it has in flight lands before another reply can take the lease.
 */
export const LEASE_SAFETY_MS = 5_000;
/**
 * The generator renews its lease once it was set (or last renewed) this long ago, timed from
 * when it was set, not from when the generator started: 25 s of the lease are still left then,
 * so a renewal delayed by a slow store or a starved process has 20 s before LEASE_SAFETY_MS
 * ends the reply (10 s, tried first, left too little under the load suite on a busy 2-core
 * machine). Must stay well below LEASE_MS − LEASE_SAFETY_MS.
 */
export const LEASE_RENEW_MS = 5_000;
/** A streaming reply with no checkpoint for this long reads back as `interrupted`. */
export const INTERRUPTED_AFTER_MS = 2 * LEASE_MS;
/** The generator reads the stop flag this often. */
export const STOP_POLL_MS = 500;
/** The reply text is checkpointed this often while it grows. */
export const CHECKPOINT_MS = 2_000;
/**
 * A reply whose text did not change (the model is thinking, or held) gets a checkpoint of the
 * time only when its last checkpoint is this old: a reader calls a streaming reply `interrupted`
 * only after INTERRUPTED_AFTER_MS (60 s) without one, so a live generator stays far from that even
 * with a few writes delayed or failed, while a silent one writes once per 10 s, not every 2 s.
 */
export const IDLE_CHECKPOINT_MS = 10_000;
/** Coalescer: at most one delta post per this many ms after the first… */
export const COALESCE_MS = 50;
/**
 * …or, when posts are slow (a loaded endpoint or machine), per this many times the last post's
 * duration, so posting takes at most half of the time and a loaded stack spends less CPU on it…
 */
export const COALESCE_POST_FACTOR = 2;
/** …but never longer than this, so the reader still sees the text move twice a second… */
export const COALESCE_MAX_MS = 500;
/** …unless this many bytes are waiting. */
export const COALESCE_BYTES = 4 * 1024;
/** A single delta frame carries at most this many bytes of text (frames stay far below 32 KiB). */
export const MAX_DELTA_BYTES = 16 * 1024;
/** The stored reply is cut (stopReason `max_tokens`) at this size, well inside DynamoDB's 400 KB item. */
export const MAX_REPLY_BYTES = 300 * 1024;
/** Throttled model calls: attempts in all, and the first backoff (doubling, with jitter). */
export const MODEL_ATTEMPTS = 4;
export const MODEL_BACKOFF_MS = 500;
/** sendMessage idempotency claims are kept this long. */
export const CLAIM_TTL_SECONDS = 7 * 24 * 3600;
/** Reply pointers (stop flag) are kept this long. */
export const POINTER_TTL_SECONDS = 24 * 3600;
/** Rate counters live a little longer than their minute. */
export const RATE_TTL_SECONDS = 120;
/** The history window reads at most this many messages however small they are. */
export const MAX_WINDOW_MESSAGES = 200;
/** Page size of the window's newest-first query. */
export const WINDOW_PAGE = 50;
/** The generator stops this long before the Lambda would time out, to store and say `interrupted`. */
export const DEADLINE_MARGIN_MS = 10_000;
/** Initial title: the first message's first characters, until the model-made title arrives. */
export const INITIAL_TITLE_CHARS = 50;
/**
 * Parts: each message a user may send in a minute (`rateLimitPerMinute`) may bring this many
 * bytes (UTF-8) of part text, the most API Gateway carries in one message; a part that would
 * pass `rateLimitPerMinute × PART_BYTES_PER_MESSAGE` in its minute is refused before it is stored.
 */
export const PART_BYTES_PER_MESSAGE = 128 * 1024;
/** Refused parts are answered once per message; at most this many messages a minute get that answer. */
export const MAX_ANSWERED_PART_REFUSALS_PER_MINUTE = 64;
/**
 * A concurrent copy of a message that finds the lease held for that message waits at most this
 * long for the holder's claim (read every CLAIM_POLL_MS) before answering `accepted` from the lease.
 */
export const CLAIM_WAIT_MS = 1_000;
export const CLAIM_POLL_MS = 50;
/** A title search reads at most this many conversations a request; the cursor continues the scan. */
export const SEARCH_MAX_READ = 500;
/** Page size of a title search's newest-first query (its read budget caps it too). */
export const SEARCH_QUERY_PAGE = 100;
