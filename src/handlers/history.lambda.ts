import { createHistoryHandler, HistoryHandler } from './history';
import { historyDeps } from './wiring';
import { historyFromEnv } from '../contract/env';

let built: HistoryHandler | undefined;

/** The deployed history function: built once, on the first request, from its environment. */
export const handler: HistoryHandler = (event) => (built ??= createHistoryHandler(historyDeps(historyFromEnv(process.env))))(event);
