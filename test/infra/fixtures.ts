import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StreamingChatbot, StreamingChatbotProps } from '../../src';

/** A fixed account and Region, so ARNs in assertions are plain strings. */
export const ENV = { account: '123456789012', region: 'ap-northeast-2' };

const assemblyDirs: string[] = [];
afterAll(() => {
  for (const dir of assemblyDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes one StreamingChatbot in a fresh stack. */
export function synth(props: StreamingChatbotProps = {}, build?: (stack: Stack) => StreamingChatbotProps): {
  stack: Stack;
  chatbot: StreamingChatbot;
  template: Template;
  assemblyDir: string;
} {
  const assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbot-infra-'));
  assemblyDirs.push(assemblyDir);
  const app = new App({ outdir: assemblyDir });
  const stack = new Stack(app, 'Test', { env: ENV });
  const chatbot = new StreamingChatbot(stack, 'Chat', build ? build(stack) : props);
  const template = Template.fromStack(stack);
  app.synth();
  return { stack, chatbot, template, assemblyDir };
}

/**
 * The `config.json` the deployment uploads, read from the staged asset in the cloud assembly,
 * with its deploy-time markers and what each resolves to (as JSON text).
 */
export function clientConfig(template: Template, assemblyDir: string): { config: any; markers: Record<string, string> } {
  const deployment = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0] as any;
  const dirs = fs.readdirSync(assemblyDir).filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(assemblyDir, d, 'config.json')));
  if (dirs.length !== 1) throw new Error(`expected one staged config.json asset, found ${dirs.length}`);
  // Deploy-time values stand in the staged file as bare markers (the deployment substitutes a
  // JSON string for each); quote them to read the rest as JSON.
  const text = fs.readFileSync(path.join(assemblyDir, dirs[0], 'config.json'), 'utf8');
  const config = JSON.parse(text.replace(/<<marker:0xbaba:\d+>>/g, (m) => `"${m}"`));
  const markers: Record<string, string> = {};
  for (const group of deployment.Properties.SourceMarkers as Array<Record<string, unknown>>) {
    for (const [marker, value] of Object.entries(group)) markers[marker] = JSON.stringify(value);
  }
  return { config, markers };
}

/** Every IAM policy statement in the template, flattened. */
export function policyStatements(template: Template): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** Actions of a statement as an array. */
export function actionsOf(statement: { Action: string | string[] }): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** Resources of a statement as an array. */
export function resourcesOf(statement: { Resource: unknown }): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}
