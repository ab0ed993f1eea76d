/**
 * One value per module built from the environment on first use, rebuilt only when the variables
 * it was built from change. In Lambda the environment never changes, so this is "create once";
 * in the local stack and tests a restarted emulator (a new port) gets fresh clients.
 */
export function envCached<T>(names: readonly string[], build: () => T): () => T {
  let key: string | undefined;
  let value: T | undefined;
  return () => {
    const now = JSON.stringify(names.map((n) => process.env[n] ?? null));
    if (key !== now || value === undefined) {
      value = build();
      key = now;
    }
    return value;
  };
}

/** The variables the chat and history handlers are built from (docs/INTERNALS.md). */
export const RUNTIME_ENV = [
  'TABLE_NAME', 'MODEL_ID', 'TITLE_MODEL_ID', 'SYSTEM_PROMPT', 'INFERENCE_CONFIG', 'HISTORY_TOKEN_BUDGET', 'MAX_INPUT_CHARS',
  'MAX_FRAME_BYTES', 'RATE_LIMIT_PER_MINUTE', 'CONNECTIONS_ENDPOINT', 'DYNAMODB_ENDPOINT', 'BEDROCK_ENDPOINT', 'CHATBOT_LOCAL',
  'AWS_REGION', 'AWS_DEFAULT_REGION',
] as const;

/** The variables the authorizer is built from. */
export const AUTH_ENV = ['USER_POOL_ID', 'CLIENT_ID', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWKS_URI', 'AWS_REGION'] as const;
