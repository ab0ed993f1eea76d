import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where a gate holds the matching command: before it is sent, or after its answer came back. */
export type GateWhen = 'before' | 'after';

/** A command as it was sent, with the (test) clock's time at the send. */
export interface SentCommand {
  command: any;
  at: number;
}

/**
 * A document client that, once armed, holds the first command matching a predicate until the
 * test releases it: the store's real requests against dynalite, with one chosen interleaving
 * made certain instead of hoped for (a delete landing exactly between two of a turn's writes).
 * It records every command it sends, timed by `now`.
 */
export class GatedDoc {
  public readonly doc: DynamoDBDocumentClient;
  public readonly sent: SentCommand[] = [];
  private armed: { match: (command: any) => boolean; when: GateWhen } | undefined;
  private reachedP: Promise<void> = Promise.resolve();
  private releaseP: Promise<void> = Promise.resolve();
  private reachedNow: (() => void) | undefined;
  private releaseNow: (() => void) | undefined;

  constructor(inner: DynamoDBDocumentClient, now: () => number = Date.now) {
    const self = this;
    this.doc = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (command: any, ...rest: any[]) => {
          self.sent.push({ command, at: now() });
          const gate = self.armed?.match(command) ? self.armed : undefined;
          if (gate) self.armed = undefined;
          if (gate?.when === 'before') await self.hold();
          const answer = await (target.send as any)(command, ...rest);
          if (gate?.when === 'after') await self.hold();
          return answer;
        };
      },
    });
  }

  /** Holds the next command `match` accepts (once). */
  public arm(match: (command: any) => boolean, when: GateWhen): void {
    this.armed = { match, when };
    this.reachedP = new Promise((r) => { this.reachedNow = r; });
    this.releaseP = new Promise((r) => { this.releaseNow = r; });
  }

  /** Resolves when the armed command is being held. */
  public reached(): Promise<void> { return this.reachedP; }

  /** Lets the held command go on. */
  public release(): void { this.releaseNow?.(); }

  private async hold(): Promise<void> {
    this.reachedNow?.();
    await this.releaseP;
  }
}
