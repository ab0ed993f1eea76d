import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV } from './fixtures';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Users load the jsii-compiled `lib/`, not `src/`: its asset paths must reach the package's
 * `assets/` too. `npm test` compiles before it runs jest, so `lib/` is current here.
 */
test('the compiled lib/ finds the prebundled handlers and the web client in assets/', () => {
  const entry = path.join(ROOT, 'lib', 'index.js');
  expect({ compiled: fs.existsSync(entry), hint: 'run `npx projen compile` first' }).toEqual({ compiled: true, hint: expect.any(String) });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StreamingChatbot } = require(entry);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatbot-lib-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'FromLib', { env: ENV });
    new StreamingChatbot(stack, 'Chat');
    app.synth();
    const staged = fs.readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    const has = (file: string) => staged.some((d) => fs.existsSync(path.join(outdir, d, file)));
    expect(has('index.html') && has('app.js')).toBe(true); // the client
    // Every handler's code asset is a staged folder holding the prebundled index.js.
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as any[];
    const handlers = functions.filter((f) => f.Properties.Handler === 'index.handler' && f.Properties.Runtime === 'nodejs22.x');
    expect(handlers).toHaveLength(3);
    for (const fn of handlers) {
      const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const dir = staged.find((d) => d.startsWith(`asset.${hash}`));
      expect(dir && fs.existsSync(path.join(outdir, dir, 'index.js'))).toBe(true);
    }
    expect(has('config.json')).toBe(true);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

/**
 * jsii publishes whatever src/index.ts exports to every language: only the construct and its
 * props structs may be there, never infra/, handlers/, core/ or client code.
 */
test('the public API (jsii assembly and lib/index.js) is the construct and its props structs only', () => {
  const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
  expect(Object.keys(assembly.types).sort()).toEqual([
    'cdk-streaming-chatbot.ChatModel',
    'cdk-streaming-chatbot.ChatModelLabel',
    'cdk-streaming-chatbot.ChatbotAttachmentsOptions',
    'cdk-streaming-chatbot.ChatbotDomainOptions',
    'cdk-streaming-chatbot.ChatbotMonitoringOptions',
    'cdk-streaming-chatbot.ChatbotTableOptions',
    'cdk-streaming-chatbot.InferenceConfig',
    'cdk-streaming-chatbot.StreamingChatbot',
    'cdk-streaming-chatbot.StreamingChatbotProps',
  ]);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  expect(Object.keys(require(path.join(ROOT, 'lib', 'index.js')))).toEqual(['StreamingChatbot']);
});
