/**
 * Time as the runtime sees it. Injected so tests can run minutes of model time in a moment
 * (a scaled or manual clock) without any real timeout depending on it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; resolves early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
