/**
 * Small order statistics for the bench. Percentiles use the nearest-rank method, so every figure
 * reported is a value that was actually observed (no interpolation inventing a latency).
 */

/** The p-th percentile (0 < p ≤ 100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median (nearest rank, i.e. the lower middle for an even count). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Rounds for display and for the BENCH json: ms to 0.1, ratios to 0.01. */
export function round(value: number, digits = 1): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Milliseconds since an arbitrary origin, shared by every module of one process. */
export function nowMs(): number {
  return performance.now();
}
