/**
 * The local stack in this process (port 0, in memory, a fast offline model) with every request
 * its Bedrock-compatible model server decoded recorded, and a Chromium: for tests that check what
 * the model was sent (the files of a message).
 */
import type { Browser } from 'playwright-core';
import { launch } from './browser';
import type { BrainRequest } from '../../../src/local/model/brain';
import { type LocalStack, startLocalStack } from '../../../src/local/stack';

export interface RecordedStack {
  stack: LocalStack;
  browser: Browser;
  /** Every request the local model server got, as it decoded them (title calls included). */
  modelRequests: BrainRequest[];
  close(): Promise<void>;
}

/** Starts one for the test file (beforeAll) and stops it after (afterAll); its fields are set once started. */
export function useRecordedStack(): Omit<RecordedStack, 'close'> {
  const rig = {} as RecordedStack;
  beforeAll(async () => {
    Object.assign(rig, await startRecordedStack());
  });
  afterAll(() => rig.close?.());
  return rig;
}

export async function startRecordedStack(): Promise<RecordedStack> {
  const modelRequests: BrainRequest[] = [];
  const [stack, browser] = await Promise.all([
    startLocalStack({ port: 0, inMemory: true, model: 'offline', offlineCps: 4000, log: () => undefined, onModelRequest: (r) => modelRequests.push(r) }),
    launch(),
  ]);
  return {
    stack,
    browser,
    modelRequests,
    close: async () => {
      await browser.close();
      await stack.close();
    },
  };
}
