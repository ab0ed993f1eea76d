import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { WildcardReason } from './nag';

/**
 * Prefixes of the system-defined cross-Region inference profiles. A profile id is
 * `<prefix>.<foundation-model-id>`; the profile routes to that foundation model in several
 * Regions, so IAM must allow the profile and the model in every Region it may route to.
 */
export const INFERENCE_PROFILE_PREFIXES: readonly string[] = [
  'global', 'us', 'us-gov', 'eu', 'apac', 'jp', 'au', 'ca',
];

/** What a model id given to the construct means for IAM. */
export interface ModelResources {
  /** The ARNs `bedrock:InvokeModel*` must be allowed on. */
  readonly arns: string[];
  /** The kind of id, for error messages and docs. */
  readonly kind: 'foundation-model' | 'inference-profile' | 'arn';
}

/**
 * Resolves the ARNs a Converse call with `modelId` needs, scoped to exactly that model.
 *
 * - foundation model `anthropic.claude-…` → `arn:aws:bedrock:<region>::foundation-model/<id>`
 * - geo profile `eu.anthropic.claude-…` → the profile ARN in this account and Region, plus the
 *   foundation model in any Region (the profile decides where it routes; the list of Regions
 *   changes over time, so the Region is a wildcard but the model is not)
 * - global profile `global.…` → as a geo profile, plus the Region-less foundation-model ARN that
 *   global routing is authorized against
 * - the ARN of such a system-defined profile → that ARN plus the same foundation-model ARNs
 * - any other full ARN → granted exactly as given (an application inference profile's underlying
 *   models cannot be known at synth; see the README)
 */
export function modelResources(scope: IConstruct, modelId: string): ModelResources {
  const stack = Stack.of(scope);
  if (modelId.startsWith('arn:')) {
    // arn:<partition>:bedrock:<region>:<account>:inference-profile/<profile id>
    const profile = /^arn:([^:]+):bedrock:[^:]*:[^:]*:inference-profile\/(.+)$/.exec(modelId);
    const models = profile ? profileModelArns(profile[1], profile[2]) : undefined;
    return models ? { kind: 'inference-profile', arns: [modelId, ...models] } : { kind: 'arn', arns: [modelId] };
  }
  const models = profileModelArns(stack.partition, modelId);
  if (models) {
    return {
      kind: 'inference-profile',
      arns: [stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: modelId }), ...models],
    };
  }
  return {
    kind: 'foundation-model',
    arns: [stack.formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: modelId })],
  };
}

/**
 * The foundation-model ARNs a system-defined cross-Region profile id routes to, or undefined when
 * the id has no known profile prefix.
 */
function profileModelArns(partition: string, profileId: string): string[] | undefined {
  const dot = profileId.indexOf('.');
  const prefix = dot > 0 ? profileId.slice(0, dot) : '';
  if (!INFERENCE_PROFILE_PREFIXES.includes(prefix)) return undefined;
  const foundationId = profileId.slice(dot + 1);
  const arns = [`arn:${partition}:bedrock:*::foundation-model/${foundationId}`];
  if (prefix === 'global') arns.push(`arn:${partition}:bedrock:::foundation-model/${foundationId}`);
  return arns;
}

/** The only Bedrock actions the chat function needs: streaming answers and one-shot titles. */
export const MODEL_ACTIONS = ['bedrock:InvokeModelWithResponseStream', 'bedrock:InvokeModel'];

/** Allows `grantee` to invoke exactly the given models (duplicates removed). */
export function grantModelInvoke(scope: IConstruct, grantee: iam.IGrantable, modelIds: string[]): iam.Grant {
  const arns = [...new Set(modelIds.flatMap((id) => modelResources(scope, id).arns))];
  return iam.Grant.addToPrincipal({ grantee, actions: MODEL_ACTIONS, resourceArns: arns });
}

/** The one wildcard the model grant has: the Region of a cross-Region profile's models. */
export const MODEL_REGION_WILDCARD: WildcardReason = {
  pattern: /^Resource::arn:(<AWS::Partition>|[a-z-]+):bedrock:\*::foundation-model\/[^*]+$/,
  reason: 'A cross-Region inference profile routes each request to the same foundation model in one of several Regions that AWS may extend; the grant names that one model and leaves only the Region open.',
};
