import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** One reason for wildcards matching `pattern` in a policy (matched against cdk-nag's finding text). */
export interface WildcardReason {
  readonly pattern: RegExp;
  readonly reason: string;
}

/**
 * cdk-nag names each IAM wildcard finding by the flattened CloudFormation value
 * (`<Logical.Arn>/index/*`, `arn:<AWS::Partition>:…`). This renders a resolved value the same way.
 */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges the cdk-nag `AwsSolutions-IAM5` findings of the wildcards in `policy` that a
 * reason covers, each individually (cdk-nag v3 has no blanket acknowledgement). Wildcards no
 * reason covers stay findings, so a new, unexplained wildcard fails the cdk-nag test.
 * Call it after every grant to the policy has been made.
 */
export function acknowledgeWildcards(policy: IConstruct, reasons: WildcardReason[]): void {
  const stack = Stack.of(policy);
  const document = policy instanceof iam.Policy ? policy.document : undefined;
  if (!document) return;
  const statements = (stack.resolve(document.toJSON()) as { Statement?: any[] })?.Statement ?? [];
  const seen = new Set<string>();
  for (const statement of statements) {
    const actions = ([] as unknown[]).concat(statement.Action ?? []).map((a) => `Action::${flatten(a)}`);
    const resources = ([] as unknown[]).concat(statement.Resource ?? []).map((r) => `Resource::${flatten(r)}`);
    for (const finding of [...actions, ...resources]) {
      if (!finding.includes('*') || seen.has(finding)) continue;
      const match = reasons.find((r) => r.pattern.test(finding));
      if (!match) continue;
      seen.add(finding);
      acknowledgeFinding(policy, `AwsSolutions-IAM5[${finding}]`, match.reason);
    }
  }
}

/** The default policy of a role, if any grant created one. */
export function defaultPolicyOf(role: iam.IRole | undefined): IConstruct | undefined {
  return role?.node.tryFindChild('DefaultPolicy');
}

/**
 * Acknowledges one cdk-nag finding on `scope`. `Validations.acknowledge` refuses ids with more
 * than one `::`, yet cdk-nag names findings on ARNs that way (`Resource::arn:<AWS::Partition>:…`);
 * those are recorded in the same metadata entry that `acknowledge` writes and cdk-nag reads.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  if (id.split('::').length <= 2) {
    Validations.of(scope).acknowledge({ id, reason });
    return;
  }
  const key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const entries = scope.node.metadata.filter((m) => m.type === key);
  const acknowledged = { ...(entries[entries.length - 1]?.data ?? {}), [id]: reason };
  scope.node.addMetadata(key, acknowledged);
}
