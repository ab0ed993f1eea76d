import { AuthorizerHandler, createAuthorizerHandler } from './authorizer';
import { authorizerDeps } from './wiring';
import { authorizerFromEnv } from '../contract/env';

let built: AuthorizerHandler | undefined;

/** The deployed `$connect` authorizer: built once, on the first event, from its environment. */
export const handler: AuthorizerHandler = (event) => (built ??= createAuthorizerHandler(authorizerDeps(authorizerFromEnv(process.env))))(event);
