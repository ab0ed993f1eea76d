import { AttachmentService, turnAttachment } from './attachments';
import { ChatConfig, modelChoice } from './config';
import { METRICS } from '../contract/metrics';
import { MessageStatus, StopReason, Usage, utf8Bytes } from '../contract/protocol';
import { Coalescer } from './domain/coalescer';
import { endsStream, finalFrame, nextReplyState, releasesLease, ReplyEvent, ReplyFailure, ReplyState, storedEnding } from './domain/reply';
import {
  CHECKPOINT_MS, DEADLINE_MARGIN_MS, IDLE_CHECKPOINT_MS, LEASE_MS, LEASE_RENEW_MS, LEASE_SAFETY_MS, MAX_REPLY_BYTES, MAX_WINDOW_MESSAGES,
  STOP_POLL_MS, WINDOW_PAGE,
} from './domain/runtime-limits';
import { cutUtf8 } from './domain/text';
import { clampCalibration, estimateTokens, filesTokens, WindowBuilder } from './domain/window';
import { streamWithRetries } from './model-retry';
import type { Clock } from './ports/clock';
import { Model, ModelError, ModelFinish, Turn, TurnAttachment } from './ports/model';
import type { Outbox } from './ports/outbox';
import type { Messages, Store, TurnRef } from './ports/store';
import type { Telemetry } from './ports/telemetry';
import type { TreeNodes } from './ports/tree';
import { turnSystemPrompt } from './prompts';
import { PathWalk } from './tree';

/** What the generator needs. */
export interface GenerateDeps {
  config: ChatConfig;
  store: Store;
  model: Model;
  clock: Clock;
  telemetry: Telemetry;
  /** Reads earlier turns' files for the window (docs/PROTOCOL.md §15). */
  attachments?: AttachmentService;
}

/** One reply to generate. */
export interface ReplyJob {
  user: string;
  turn: TurnRef;
  /** The user message's text. */
  text: string;
  calib: number;
  /** Epoch ms by which the invocation must have stored its result (Lambda timeout), if any. */
  deadline?: number;
  /** Epoch ms until which this reply holds the conversation's lease (it set it, see turn.ts). */
  leaseUntil: number;
  /** The user message's files as the model takes them (their metadata is `turn.attachments`). */
  files?: TurnAttachment[];
}

/** How a reply ended. */
export interface ReplyOutcome {
  state: ReplyState;
  status: MessageStatus;
  stopReason?: StopReason;
  usage: Usage;
  text: string;
  error?: ModelError;
}

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };

/** Reads the newest turns before (and including) the new user message, within the token budget. */
export async function loadWindow(messages: Messages, job: Pick<ReplyJob, 'user' | 'turn' | 'text' | 'calib' | 'files'>, budget: number,
  tree?: TreeNodes, attachments?: AttachmentService): Promise<{ turns: Turn[]; estimate: number }> {
  const own = estimateTokens(job.text) + filesTokens(job.turn.attachments);
  const asked: Turn = { role: 'user', text: job.text, ...(job.files?.length ? { attachments: job.files } : {}) };
  // The budget is in calibrated tokens, as the builder counts the history.
  const builder = new WindowBuilder(Math.max(0, budget - Math.ceil(own * job.calib)), job.calib, MAX_WINDOW_MESSAGES);
  if (tree && job.turn.tree) {
    // On the tree: the user message's ancestors, its active path (PROTOCOL §13).
    const walk = PathWalk.fromKeys(tree, job.user, job.turn.conversationId, job.turn.tree.anc);
    while (!builder.full) {
      const page = await walk.take(WINDOW_PAGE);
      if (page.length === 0) break;
      builder.add(page);
    }
  } else {
    let cursor: string | undefined;
    do {
      const page = await messages.newestFirst(job.user, job.turn.conversationId, WINDOW_PAGE, cursor, job.turn);
      builder.add(page.items.filter((m) => m.messageId !== job.turn.messageId));
      cursor = page.nextCursor;
    } while (cursor && !builder.full);
  }
  return { turns: [...(await withFiles(builder, job.user, attachments)), asked], estimate: builder.estimatedTokens + own };
}

/** The window's turns with their files' bytes; a file that cannot be read leaves its turn text only. */
async function withFiles(builder: WindowBuilder, user: string, attachments: AttachmentService | undefined): Promise<Turn[]> {
  const turns = builder.result();
  if (!attachments) return turns;
  return Promise.all(turns.map(async (t) => {
    const files = builder.files.get(t);
    if (!files) return t;
    const loaded = await attachments.load(user, files).catch(() => undefined);
    return loaded ? { ...t, attachments: loaded.map(turnAttachment) } : t;
  }));
}

/**
 * One reply's running state: its text so far, where it is in the lifecycle (domain/reply.ts) and
 * until when it holds the conversation's lease.
 */
class ReplyRun {
  public state: ReplyState = 'streaming';
  public text = '';
  private textBytes = 0;
  public readonly abort = new AbortController();

  constructor(private leaseUntil: number) {}

  /**
   * Whether the reply still holds its lease at `now`, asked before every checkpoint and delta: a
   * streaming reply within LEASE_SAFETY_MS of its lease's end without a renewal ends `lapsed`
   * here, so a process paused past its lease (another reply may hold it now) stops before its
   * first write after the pause.
   */
  public holdsLease(now: number): boolean {
    if (this.state === 'streaming' && now > this.leaseUntil - LEASE_SAFETY_MS) this.on('leaseLost');
    return this.state !== 'lapsed';
  }

  /** Whether the lease is due for renewal at `now`: it was set (or last renewed) LEASE_RENEW_MS ago. */
  public renewDue(now: number): boolean {
    return this.leaseUntil - now <= LEASE_MS - LEASE_RENEW_MS;
  }

  /** A successful renewal moved the lease's end. */
  public renewed(until: number): void {
    this.leaseUntil = until;
  }

  public on(event: ReplyEvent): void {
    this.state = nextReplyState(this.state, event);
    if (endsStream(this.state)) this.abort.abort();
  }

  /** Adds a model piece, cut at MAX_REPLY_BYTES; answers what was kept. */
  public append(piece: string): string {
    const [kept, cut] = cutUtf8(piece, MAX_REPLY_BYTES - this.textBytes);
    this.text += kept;
    this.textBytes += utf8Bytes(kept);
    if (cut) this.on('tooLong');
    return kept;
  }
}

/**
 * The watcher beside the history read and the model stream (it never blocks either; it starts
 * when the turn is stored, so the lease is kept while the window loads): reads the stop flag every
 * STOP_POLL_MS, renews the lease when it is due (LEASE_RENEW_MS after it was set, however late
 * the watcher started), checkpoints the text every CHECKPOINT_MS while it grows (and the time
 * alone every IDLE_CHECKPOINT_MS while it does not), and ends the reply before the invocation's
 * deadline or its lease's end. A deleted conversation is seen by the stop-flag read (its reply
 * pointer is gone) within a poll, else by the next renewal or checkpoint; a renewal that fails
 * ends the reply at once: `deleted` when the conversation is gone, `lapsed` when another reply
 * holds the lease. Runs until `until` aborts or the reply ended (after that it writes nothing).
 */
async function watch(deps: GenerateDeps, job: ReplyJob, run: ReplyRun, until: AbortSignal): Promise<void> {
  const { store, clock, telemetry } = deps;
  const { user, turn } = job;
  let lastTick = clock.now();
  // The reply was stored with checkpointAt = t (messages.putTurn).
  let lastWrite = turn.t;
  let checkpointed = '';
  const warn = (err: unknown) => telemetry.warn('watcher step failed', { replyId: turn.replyId, error: (err as Error).name });
  /** Renews the lease when due; false when the reply must stop writing (lost, gone, or lapsed meanwhile). */
  const renewIfDue = async (now: number): Promise<boolean> => {
    if (!run.holdsLease(now)) return false;
    if (!run.renewDue(now)) return true;
    if (!(await store.conversations.renewLease(user, turn.conversationId, turn.replyId, now + LEASE_MS))) {
      run.on((await store.conversations.get(user, turn.conversationId)) ? 'leaseLost' : 'replyGone');
      return false;
    }
    run.renewed(now + LEASE_MS);
    return run.holdsLease(clock.now());
  };
  // A watcher that starts late (a slow history read) may find the lease due already.
  if (!(await renewIfDue(clock.now()).catch((err) => { warn(err); return true; }))) return;
  while (!until.aborted && run.holdsLease(clock.now())) {
    await clock.sleep(STOP_POLL_MS, until);
    if (until.aborted) return;
    try {
      const pointer = await store.messages.replyPointer(user, turn.replyId);
      if (!pointer) run.on('replyGone');
      else if (pointer.stopRequested) run.on('stopRequested');
      const now = clock.now();
      if (job.deadline !== undefined && now > job.deadline - DEADLINE_MARGIN_MS) run.on('deadline');
      // The lease first: a reply that lost it writes no checkpoint.
      if (!(await renewIfDue(now))) return;
      if (now - lastTick < CHECKPOINT_MS) continue;
      lastTick = now;
      const snapshot = run.text;
      const changed = snapshot !== checkpointed ? snapshot : undefined;
      // Unchanged text still moves checkpointAt now and then: a reply reads `interrupted` only when its generator died.
      if (changed === undefined && now - lastWrite < IDLE_CHECKPOINT_MS) continue;
      if (!(await store.messages.checkpointReply(user, turn, changed, now))) run.on('replyGone');
      lastWrite = now;
      checkpointed = snapshot;
    } catch (err) {
      warn(err);
    }
  }
}

/** Streams the model into `run` and the coalescer; answers how the model ended (or its error). */
async function stream(deps: GenerateDeps, job: ReplyJob, system: string, turns: Turn[], run: ReplyRun, coalescer: Coalescer,
  started: number): Promise<{ finish: ModelFinish; error?: ModelError }> {
  const { config, clock, telemetry } = deps;
  const model = modelChoice(config, job.turn.modelId);
  const request = { modelId: model.modelId, system, turns, inferenceConfig: model.inferenceConfig };
  const gen = streamWithRetries(deps.model, request, run.abort.signal, clock, (attempt) => telemetry.warn('model throttled, retrying', { replyId: job.turn.replyId, attempt }));
  let first = true;
  try {
    for (let r = await gen.next(); ; r = await gen.next()) {
      if (r.done) return { finish: r.value };
      // A piece that arrives after the lease lapsed (a paused process) is neither kept nor sent.
      if (!run.holdsLease(clock.now())) return { finish: { stopReason: 'end_turn' } };
      if (first) { first = false; telemetry.metric(METRICS.timeToFirstToken, clock.now() - started); }
      coalescer.push(run.append(r.value));
    }
  } catch (err) {
    const error = err instanceof ModelError ? err : new ModelError('MODEL_ERROR', 'The model failed while answering.', true, err);
    return { finish: { stopReason: 'end_turn' }, error };
  }
}

/**
 * Generates one reply: streams it from the model into `delta` frames (coalesced) while the
 * watcher checkpoints, reads the stop flag and minds the deadline; then stores the final status
 * and answers `done` (or `error`). A client that left stops the frames, never the storing.
 */
export async function generateReply(deps: GenerateDeps, job: ReplyJob, out: Outbox): Promise<ReplyOutcome> {
  const { store, clock, telemetry, config } = deps;
  const { turn } = job;
  const started = clock.now();
  const run = new ReplyRun(job.leaseUntil);
  // The watcher runs from the moment the turn holds its lease, not from the model call: under
  // load the history read can take longer than the lease, and a reply whose lease nobody renewed
  // meanwhile would lapse before its first token. It also reads the stop flag while the window loads.
  const watching = new AbortController();
  const watcher = watch(deps, job, run, watching.signal);
  const stopWatching = async () => {
    watching.abort();
    await watcher;
  };
  let window: { turns: Turn[]; estimate: number };
  let system: string;
  try {
    // The user's instructions are read beside the window, not after it (one round trip, not two).
    const [w, instructions] = await Promise.all([
      loadWindow(store.messages, job, config.historyTokenBudget, store.tree, deps.attachments), store.instructions.get(job.user),
    ]);
    window = w;
    system = turnSystemPrompt(config.systemPrompt, instructions?.text);
  } catch (err) {
    await stopWatching();
    telemetry.warn('history window failed', { replyId: turn.replyId, error: (err as Error).name });
    return failBeforeModel(deps, job, out);
  }

  // Each delta is checked at its post too: text coalesced before a pause is not sent after it.
  const coalescer = new Coalescer(turn.replyId, async (frame) => (run.holdsLease(clock.now()) ? out.post(frame) : 'gone'), clock);
  let result: { finish: ModelFinish; error?: ModelError };
  try {
    // Stopped, deleted or lapsed while the window loaded: the model is not called at all.
    result = run.state === 'streaming' ? await stream(deps, job, system, window.turns, run, coalescer, started) : { finish: { stopReason: 'end_turn' } };
  } finally {
    await stopWatching();
  }
  const { finish, error } = result;
  run.on(error ? 'modelFailed' : 'modelEnded');

  const usage = finish.usage ?? NO_USAGE;
  const { status, stopReason } = storedEnding(run.state, finish.stopReason);
  const now = clock.now();
  // A reply whose conversation was deleted meanwhile is not written back (the update is conditional).
  const final = { text: run.text, status, stopReason, usage: finish.usage };
  if (!(await store.messages.finishReply(job.user, turn, final, now))) run.on('replyGone');
  // Calibrate the estimate against what Bedrock counted, smoothed so one odd reply cannot swing it.
  const calib = finish.usage?.inputTokens
    ? clampCalibration(0.5 * job.calib + 0.5 * finish.usage.inputTokens / (window.estimate + estimateTokens(system)))
    : undefined;
  // A lapsed lease may be another reply's by now: the conversation is not touched.
  if (releasesLease(run.state)) await store.conversations.finishLease(job.user, turn.conversationId, turn.replyId, now, calib);

  await coalescer.close();
  const failure: ReplyFailure | undefined = error && { code: error.code, message: error.message, retryable: error.retryable };
  if (failure) telemetry.errorCode(failure.code);
  await out.post(finalFrame(run.state, turn, stopReason, usage, failure));
  telemetry.metric(METRICS.streamDuration, now - started);
  if (finish.usage) {
    telemetry.metric(METRICS.inputTokens, usage.inputTokens);
    telemetry.metric(METRICS.outputTokens, usage.outputTokens);
  }
  telemetry.info('reply finished', { replyId: turn.replyId, status, stopReason, chars: run.text.length, frames: coalescer.seq, gone: coalescer.gone });
  return { state: run.state, status, stopReason, usage, text: run.text, error };
}

/**
 * The turn was stored and `accepted` sent, but the model was never called: the reply is stored
 * as `error` and the conversation freed, so the client is told about this reply (its `replyId`)
 * instead of seeing it read `interrupted` a minute later.
 */
async function failBeforeModel(deps: GenerateDeps, job: ReplyJob, out: Outbox): Promise<ReplyOutcome> {
  const { store, clock, telemetry } = deps;
  const { turn } = job;
  const now = clock.now();
  const warn = (step: string) => (err: unknown) => { telemetry.warn(step, { replyId: turn.replyId, error: (err as Error).name }); return false; };
  const state: ReplyState = 'failed';
  const { status } = storedEnding(state, 'end_turn');
  await store.messages.finishReply(job.user, turn, { text: '', status }, now).catch(warn('storing the failed reply failed'));
  await store.conversations.finishLease(job.user, turn.conversationId, turn.replyId, now).catch(warn('releasing the lease failed'));
  telemetry.errorCode('INTERNAL');
  await out.post(finalFrame(state, turn, undefined, NO_USAGE,
    { code: 'INTERNAL', message: 'Something went wrong on our side. Please send the message again.', retryable: true }));
  return { state, status, usage: NO_USAGE, text: '' };
}
