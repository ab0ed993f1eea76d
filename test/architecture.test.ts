import * as path from 'path';
import { areaOf, Edge, importGraph, violations } from './support/import-graph';

// The layering of src/, read from the real import graph: a new import that runs the wrong way
// fails here, not in review.

const SRC = path.join(__dirname, '..', 'src');

describe('import graph of src/', () => {
  const edges = importGraph(SRC);

  test('every import keeps the layering rules', () => {
    expect(violations(edges)).toEqual([]);
  });

  test('the graph is really read: the known edges are there', () => {
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    expect(has('index.ts', 'streaming-chatbot.ts')).toBe(true);
    expect(has(path.join('infra', 'socket-api.ts'), path.join('contract', 'routes.ts'))).toBe(true);
    expect(has(path.join('local', 'stack.ts'), path.join('handlers', 'chat.ts'))).toBe(true);
    expect(has(path.join('client', 'socket.ts'), path.join('contract', 'protocol.ts'))).toBe(true);
    expect(edges.length).toBeGreaterThan(150);
  });

  test('src/index.ts exports the construct and its props only', () => {
    expect(edges.filter((e) => e.from === 'index.ts').map((e) => e.to).sort()).toEqual(['streaming-chatbot-props.ts', 'streaming-chatbot.ts']);
  });

  test('src/contract imports nothing but itself: no package, no other folder', () => {
    const out = edges.filter((e) => e.from.startsWith(`contract${path.sep}`) && (e.to === undefined || !e.to.startsWith(`contract${path.sep}`)));
    expect(out).toEqual([]);
  });

  test('nothing outside src/local and src/client imports them', () => {
    const inward = edges.filter((e) => e.to !== undefined && ['local', 'client'].includes(areaOf(e.to)) && areaOf(e.to) !== areaOf(e.from));
    expect(inward).toEqual([]);
  });
});

describe('the rule checker', () => {
  const bad: Array<[string, Edge, RegExp]> = [
    ['contract importing core', { from: 'contract/env.ts', to: 'core/config.ts', specifier: '../core/config' }, /contract may import only contract$/],
    ['contract importing a package', { from: 'contract/routes.ts', specifier: 'velocityjs' }, /dependency-free/],
    ['infra importing core', { from: 'infra/monitoring.ts', to: 'core/telemetry.ts', specifier: '../core/telemetry' }, /infra may import only/],
    ['infra importing a handler', { from: 'infra/socket-api.ts', to: 'handlers/chat.ts', specifier: '../handlers/chat' }, /infra may import only/],
    ['core importing handlers', { from: 'core/chat.ts', to: 'handlers/wiring.ts', specifier: '../handlers/wiring' }, /core may import only core, contract/],
    ['handlers importing local', { from: 'handlers/chat.ts', to: 'local/stack.ts', specifier: '../local/stack' }, /handlers may import only/],
    ['client importing core', { from: 'client/chat.ts', to: 'core/window.ts', specifier: '../core/window' }, /client may import only client, contract/],
    ['the construct importing the local stack', { from: 'streaming-chatbot.ts', to: 'local/stack.ts', specifier: './local/stack' }, /construct may import only/],
    ['index exporting infra', { from: 'index.ts', to: 'infra/sign-in.ts', specifier: './infra/sign-in' }, /index may import only index, construct/],
  ];

  test.each(bad)('refuses %s', (_name, edge, message) => {
    const found = violations([edge]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  test('allows the edges the layering wants', () => {
    expect(violations([
      { from: 'local/stack.ts', to: 'handlers/chat.ts', specifier: '../handlers/chat' },
      { from: 'handlers/wiring.ts', to: 'core/chat.ts', specifier: '../core/chat' },
      { from: 'infra/socket-api.ts', to: 'handlers/chat-function.ts', specifier: '../handlers/chat-function' },
      { from: 'client/socket.ts', to: 'contract/protocol.ts', specifier: '../contract/protocol' },
      { from: 'core/aws.ts', specifier: '@aws-sdk/client-dynamodb' },
    ])).toEqual([]);
  });

  test('a file in no known area is an error, not a silent pass', () => {
    expect(() => areaOf('scripts/tool.ts')).toThrow(/no known area/);
  });
});
