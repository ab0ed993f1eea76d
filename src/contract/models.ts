/**
 * Default Bedrock models: what the construct deploys when `modelId` / `titleModelId` are not given,
 * and what the local stack talks to under `--model bedrock` without `--model-id`.
 */

/** Answers: Claude Sonnet 4.5 through the global cross-Region inference profile. */
export const DEFAULT_MODEL_ID = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
/** Titles: the cheap, fast Claude Haiku 4.5 through the global profile. */
export const DEFAULT_TITLE_MODEL_ID = 'global.anthropic.claude-haiku-4-5-20251001-v1:0';
