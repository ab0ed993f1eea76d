import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { Clock } from './clock';
import { Coalescer } from './coalescer';
import type { ChatConfig } from './config';
import { CHECKPOINT_MS, DEADLINE_MARGIN_MS, LEASE_MS, MAX_REPLY_BYTES, MAX_WINDOW_MESSAGES, STOP_POLL_MS, WINDOW_PAGE } from './limits';
import { ModelError, ModelFinish, streamReply } from './model';
import { METRICS } from '../contract/metrics';
import { MessageStatus, ServerFrame, StopReason, Usage, utf8Bytes } from '../contract/protocol';
import type { ConversationStore } from './store';
import type { Telemetry } from './telemetry';
import { clampCalibration, estimateTokens, Turn, WindowBuilder } from './window';

/** Where frames for one connection go; `gone` once the client left. */
export interface Outbox {
  post(frame: ServerFrame): Promise<'ok' | 'gone'>;
}

/** What the generator needs. */
export interface GenerateDeps {
  config: ChatConfig;
  store: ConversationStore;
  bedrock: BedrockRuntimeClient;
  clock: Clock;
  telemetry: Telemetry;
}

/** One reply to generate. */
export interface ReplyJob {
  user: string;
  conversationId: string;
  replyId: string;
  replySk: string;
  userMessageSk: string;
  text: string;
  calib: number;
  /** Epoch ms by which the invocation must have stored its result (Lambda timeout), if any. */
  deadline?: number;
}

/** How a reply ended. */
export interface ReplyOutcome {
  status: MessageStatus;
  stopReason?: StopReason;
  usage: Usage;
  text: string;
  error?: ModelError;
}

/** Reads the newest turns before (and including) the new user message, within the token budget. */
export async function loadWindow(store: ConversationStore, job: ReplyJob, budget: number): Promise<{ turns: Turn[]; estimate: number }> {
  const own = estimateTokens(job.text);
  // The budget is in calibrated tokens, as the builder counts the history.
  const builder = new WindowBuilder(Math.max(0, budget - Math.ceil(own * job.calib)), job.calib, MAX_WINDOW_MESSAGES);
  let cursor: string | undefined;
  do {
    const page = await store.messagesNewestFirst(job.user, job.conversationId, WINDOW_PAGE, cursor, job.userMessageSk);
    builder.add(page.items.filter((m) => m.sk !== job.userMessageSk));
    cursor = page.nextCursor;
  } while (cursor && !builder.full);
  return { turns: [...builder.result(), { role: 'user', text: job.text }], estimate: builder.estimatedTokens + own };
}

/**
 * Generates one reply: streams it from the model into `delta` frames (coalesced), checkpoints
 * the text and renews the lease every CHECKPOINT_MS, reads the stop flag every STOP_POLL_MS,
 * stops itself before the invocation's deadline, then stores the final status and answers
 * `done` (or `error`). A client that left stops the frames, never the storing.
 */
export async function generateReply(deps: GenerateDeps, job: ReplyJob, out: Outbox): Promise<ReplyOutcome> {
  const { store, clock, telemetry, config } = deps;
  const started = clock.now();
  let window: { turns: Turn[]; estimate: number };
  try {
    window = await loadWindow(store, job, config.historyTokenBudget);
  } catch (err) {
    telemetry.warn('history window failed', { replyId: job.replyId, error: (err as Error).name });
    return failBeforeModel(deps, job, out);
  }
  const { turns, estimate } = window;
  const systemEstimate = estimateTokens(config.systemPrompt);
  const abort = new AbortController();
  let text = '';
  let textBytes = 0;
  let ended: 'stopped' | 'interrupted' | 'truncated' | 'deleted' | undefined;
  const end = (why: typeof ended) => { if (!ended) { ended = why; abort.abort(); } };
  const coalescer = new Coalescer(job.replyId, (frame) => out.post(frame), clock);

  // The watcher: stop flag, checkpoints with lease renewal, the deadline. It runs beside the
  // model stream and never blocks it.
  const done = new AbortController();
  const watcher = (async () => {
    let lastCheckpoint = clock.now();
    let checkpointed = '';
    while (!done.signal.aborted) {
      await clock.sleep(STOP_POLL_MS, done.signal);
      if (done.signal.aborted) return;
      try {
        const pointer = await store.getReplyPointer(job.user, job.replyId);
        if (!pointer || pointer.stopRequested) end(pointer ? 'stopped' : 'deleted');
        const now = clock.now();
        if (job.deadline !== undefined && now > job.deadline - DEADLINE_MARGIN_MS) end('interrupted');
        if (now - lastCheckpoint >= CHECKPOINT_MS) {
          lastCheckpoint = now;
          const snapshot = text;
          // Unchanged text still moves checkpointAt: a reply reads `interrupted` only when its generator died.
          const changed = snapshot !== checkpointed ? snapshot : undefined;
          if (!(await store.checkpointReply(job.user, job.conversationId, job.replySk, changed, now))) end('deleted');
          checkpointed = snapshot;
          await store.renewLease(job.user, job.conversationId, job.replyId, now + LEASE_MS);
        }
      } catch (err) {
        telemetry.warn('watcher step failed', { replyId: job.replyId, error: (err as Error).name });
      }
    }
  })();

  let finish: ModelFinish = { stopReason: 'end_turn' };
  let error: ModelError | undefined;
  let firstAt: number | undefined;
  try {
    const gen = streamReply(deps.bedrock, { modelId: config.modelId, system: config.systemPrompt, turns, inferenceConfig: config.inferenceConfig },
      abort.signal, clock, (attempt) => telemetry.warn('model throttled, retrying', { replyId: job.replyId, attempt }));
    for (let r = await gen.next(); ; r = await gen.next()) {
      if (r.done) { finish = r.value; break; }
      if (firstAt === undefined) { firstAt = clock.now(); telemetry.metric(METRICS.timeToFirstToken, firstAt - started); }
      let piece = r.value;
      if (textBytes + utf8Bytes(piece) > MAX_REPLY_BYTES) {
        piece = cutToBytes(piece, MAX_REPLY_BYTES - textBytes);
        end('truncated');
      }
      text += piece;
      textBytes += utf8Bytes(piece);
      coalescer.push(piece);
    }
  } catch (err) {
    error = err instanceof ModelError ? err : new ModelError('MODEL_ERROR', 'The model failed while answering.', true, err);
  } finally {
    done.abort();
    await watcher;
  }

  const usage: Usage = finish.usage ?? { inputTokens: 0, outputTokens: 0 };
  let status: MessageStatus = 'complete';
  let stopReason: StopReason | undefined = finish.stopReason;
  if (error) { status = 'error'; stopReason = undefined; } else if (ended === 'stopped') { status = 'stopped'; stopReason = 'stopped'; } else if (ended === 'interrupted') { status = 'interrupted'; stopReason = 'interrupted'; } else if (ended === 'truncated') {stopReason = 'max_tokens';}

  const now = clock.now();
  // A reply whose conversation was deleted meanwhile is not written back (the update is conditional).
  const final = { text, status, stopReason, usage: finish.usage ? usage : undefined };
  if (!(await store.finishReply(job.user, job.conversationId, job.replySk, final, now))) ended = 'deleted';
  // Calibrate the estimate against what Bedrock counted, smoothed so one odd reply cannot swing it.
  const calib = finish.usage?.inputTokens
    ? clampCalibration(0.5 * job.calib + 0.5 * finish.usage.inputTokens / (estimate + systemEstimate))
    : undefined;
  await store.finishLease(job.user, job.conversationId, job.replyId, now, calib);

  await coalescer.close();
  if (error) {
    telemetry.errorCode(error.code);
    await out.post({ type: 'error', code: error.code, message: error.message, retryable: error.retryable, replyId: job.replyId });
  } else if (ended === 'deleted') {
    // Every reply ends with done or error, so a client that sent it (another tab, another device)
    // never waits for a reply whose conversation is gone.
    await out.post({ type: 'error', code: 'NOT_FOUND', message: 'The conversation was deleted while this reply was being written.', retryable: false, replyId: job.replyId });
  } else {
    await out.post({ type: 'done', replyId: job.replyId, conversationId: job.conversationId, stopReason: stopReason ?? 'end_turn', usage });
  }
  telemetry.metric(METRICS.streamDuration, now - started);
  if (finish.usage) {
    telemetry.metric(METRICS.inputTokens, usage.inputTokens);
    telemetry.metric(METRICS.outputTokens, usage.outputTokens);
  }
  telemetry.info('reply finished', { replyId: job.replyId, status, stopReason, chars: text.length, frames: coalescer.seq, gone: coalescer.gone });
  return { status, stopReason, usage, text, error };
}

/**
 * The turn was stored and `accepted` sent, but the model was never called: the reply is stored
 * as `error` and the conversation freed, so the client is told about this reply (its `replyId`)
 * instead of seeing it read `interrupted` a minute later.
 */
async function failBeforeModel(deps: GenerateDeps, job: ReplyJob, out: Outbox): Promise<ReplyOutcome> {
  const { store, clock, telemetry } = deps;
  const now = clock.now();
  const warn = (step: string) => (err: unknown) => { telemetry.warn(step, { replyId: job.replyId, error: (err as Error).name }); return false; };
  await store.finishReply(job.user, job.conversationId, job.replySk, { text: '', status: 'error' }, now).catch(warn('storing the failed reply failed'));
  await store.finishLease(job.user, job.conversationId, job.replyId, now).catch(warn('releasing the lease failed'));
  telemetry.errorCode('INTERNAL');
  await out.post({ type: 'error', code: 'INTERNAL', message: 'Something went wrong on our side. Please send the message again.', retryable: true, replyId: job.replyId });
  return { status: 'error', usage: { inputTokens: 0, outputTokens: 0 }, text: '' };
}

function cutToBytes(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const b = utf8Bytes(ch);
    if (bytes + b > maxBytes) break;
    out += ch;
    bytes += b;
  }
  return out;
}
