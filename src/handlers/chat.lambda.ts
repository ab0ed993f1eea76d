import { ChatHandler, createChatHandler } from './chat';
import { chatDeps } from './wiring';
import { chatFromEnv } from '../contract/env';

let built: ChatHandler | undefined;

/** The deployed chat function: built once, on the first event, from its environment. */
export const handler: ChatHandler = (event, context) => (built ??= createChatHandler(chatDeps(chatFromEnv(process.env))))(event, context);
