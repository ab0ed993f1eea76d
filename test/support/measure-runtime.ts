/**
 * Prints what one streamed reply costs through the real chat handler against the local
 * emulators: model pieces vs. `@connections` posts (coalescing), and first-delta latency.
 * Run: npx ts-node --transpile-only --project tsconfig.dev.json test/support/measure-runtime.ts
 */
import { startEmulators, wsEvent } from './harness';
import { handler } from '../../src/handlers/chat.lambda';

async function main() {
  const em = await startEmulators();
  const rows = [];
  for (const [pieces, intervalMs] of [[500, 2], [300, 10], [100, 30]] as const) {
    em.brain.script = { tokens: Array.from({ length: pieces }, (_, i) => `토큰${i} `), intervalMs };
    const conn = `measure-${pieces}-${intervalMs}`;
    const t0 = Date.now();
    let firstDelta = 0;
    const waiting = em.sink.waitFor((f, c) => c === conn && f.type === 'delta', 30_000).then(() => { firstDelta = Date.now() - t0; });
    await handler(wsEvent('sendMessage', 'measure', conn, JSON.stringify({ action: 'sendMessage', messageId: `${conn}-message`, text: '측정' })));
    await waiting;
    const frames = em.sink.frames(conn);
    rows.push({
      modelPieces: pieces,
      pieceIntervalMs: intervalMs,
      deltaPosts: frames.filter((f) => f.type === 'delta').length,
      totalPosts: frames.length,
      firstDeltaMs: firstDelta,
      totalMs: Date.now() - t0,
    });
  }
  console.log(JSON.stringify({ runtime: rows }, null, 1));
  await em.close();
  process.exit(0);
}
void main();
