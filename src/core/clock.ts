/** Kept only for src/local/model's imports; new code imports ports/clock and adapters/clock. */
export type { Clock } from './ports/clock';
export { realClock, scaledClock } from './adapters/clock';
