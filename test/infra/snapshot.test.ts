import { synth } from './fixtures';

/**
 * Asset hashes change whenever a handler or the web client is rebuilt; the snapshot is about the
 * infrastructure, so they are replaced by a placeholder (as cdk-monitoring-constructs does).
 */
const ASSET_HASH = /[0-9a-f]{64}(\.zip)?/;
const ALL_ASSET_HASHES = new RegExp(ASSET_HASH.source, 'g');

expect.addSnapshotSerializer({
  test: (value) => typeof value === 'string' && ASSET_HASH.test(value),
  print: (value) => `"${(value as string).replace(ALL_ASSET_HASHES, '[ASSET HASH]')}"`,
});

test('the default template matches the committed snapshot (assets stripped)', () => {
  const { template } = synth();
  expect(template.toJSON()).toMatchSnapshot();
});
