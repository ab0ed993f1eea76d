/**
 * What the first token of a burst needs of the CPU: the accept path's CPU time (sendMessage sent →
 * the model request: claim, rate token, conversation, turn, `accepted`, instructions, window),
 * measured one turn at a time on the idle stack, and the first-token floor it sets for N turns
 * arriving at once. Even a scheduler that ran every accept path before any streaming, one after
 * the other on every core, could not start the k-th turn's model call before k × that ÷ cores.
 */
import { BenchBrain, processCpuMs } from './bench-brain';
import type { Harness } from './harness';
import { measureOurs } from './measure';
import { percentile, round } from './stats';
import { login, mustConnect } from './wire-client';

/** The floor of a burst's first token that the accept path's CPU sets. */
export interface FirstTokenFloor {
  /** CPU ms of one accept path (median of the idle turns measured). */
  acceptCpuMs: number;
  turns: number;
  cores: number;
  /** ceil(turns × q) × acceptCpuMs ÷ cores + the model's own first token, ms. */
  p50Ms: number;
  p99Ms: number;
}

/**
 * The first-token floor of `turns` accept paths of `acceptCpuMs` CPU each, arriving together on
 * `cores` cores, with the model's own `modelFirstTokenMs`: the turn at quantile q is the
 * ceil(turns × q)-th to get its model call.
 */
export function firstTokenFloor(acceptCpuMs: number, turns: number, cores: number, modelFirstTokenMs: number): FirstTokenFloor {
  if (!(turns > 0) || !(cores > 0) || !(acceptCpuMs >= 0)) {
    throw new Error(`firstTokenFloor: turns (${turns}) and cores (${cores}) must be positive, acceptCpuMs (${acceptCpuMs}) not negative`);
  }
  const at = (q: number) => round((Math.ceil(turns * q) * acceptCpuMs) / cores + modelFirstTokenMs);
  return { acceptCpuMs: round(acceptCpuMs, 2), turns, cores, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Calls of {@link measureAcceptCpu} so far: each call's behaviour keys are its own. */
let runs = 0;

/**
 * The accept path's CPU ms, one new conversation at a time on the idle stack (`turns` of them):
 * the process's CPU from just before the send to the model request's arrival. The model answers
 * a few tokens after `firstTokenMs`, so nothing of the turn's streaming falls in the window.
 */
export async function measureAcceptCpu(harness: Harness, brain: BenchBrain, turns: number): Promise<number[]> {
  const run = ++runs;
  const client = await mustConnect(harness.wsUrl, await login(harness.url, 'bench-accept-cpu'));
  const out: number[] = [];
  try {
    for (let i = 0; i < turns; i++) {
      const key = `accept-cpu-${run}-${i}`;
      brain.define(key, { tokens: ['네', '.'], firstTokenMs: 200, intervalMs: 5 });
      const before = processCpuMs();
      await measureOurs(client, key, '받아들이는 데 드는 CPU를 잽니다.');
      // The turn's title call and last writes run after `done`: let them end before the next send.
      for (let k = 0; k < 100 && harness.gateway.inFlight > 0; k++) await new Promise((r) => setTimeout(r, 20));
      const at = brain.record(key).requestCpuMs[0];
      if (at === undefined) throw new Error(`accept CPU: turn ${i} never reached the model`);
      out.push(at - before);
    }
  } finally {
    await client.close();
  }
  return out;
}

/** The median of the measured accept paths. */
export function medianAcceptCpu(samples: number[]): number {
  return percentile(samples, 50);
}
