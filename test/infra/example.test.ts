import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ts from 'typescript';
import { buildApp } from '../../examples/app';

const ROOT = path.join(__dirname, '..', '..');

test('examples/ type-checks against the library as a user would compile it', () => {
  const configFile = ts.readConfigFile(path.join(ROOT, 'tsconfig.dev.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => path.join(ROOT, 'examples', f));
  expect(files.length).toBeGreaterThan(0);
  const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
  const diagnostics = ts.getPreEmitDiagnostics(program)
    .filter((d) => !d.file || d.file.fileName.includes('/examples/') || d.file.fileName.includes('/src/index') || d.file.fileName.includes('/src/streaming-chatbot') || d.file.fileName.includes('/src/infra/'))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics).toEqual([]);
});

test('the example app synthesizes a deployable stack with its props applied', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbot-example-'));
  try {
    const { app, stack } = buildApp(new App({ outdir }));
    const assembly = app.synth();
    const artifact = assembly.getStackByName(stack.stackName);
    expect(fs.existsSync(path.join(outdir, artifact.templateFile))).toBe(true);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 5); // 3 handlers, BucketDeployment, auto-delete is a CfnResource
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SYSTEM_PROMPT: '당신은 친절한 한국어 도우미입니다. 사용자가 쓴 언어로 답하세요.' } },
    });
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
