import { awscdk, javascript, JsonPatch } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

// Versions are pinned: every runtime library below is bundled into the Lambda and CLI assets at
// library build time, so the version we test is the version our users deploy.
const AWS_SDK = '3.1164.0';
const POWERTOOLS = '2.36.0';

// Bundle the AWS SDK too: the version we test is the version that runs, and the same bundle runs
// in the local stack where no SDK is preinstalled. Minified: smaller assets, faster cold starts.
// (projen hands a lambda's bundlingOptions to Bundler.addBundle, whose `minify` it honours.)
// `module` before `main`: the SDK clients' ES builds let esbuild drop the commands and schemas the
// handlers never send (the CommonJS builds are one file per client). The chat bundle shrinks from
// ~700 KB to ~480 KB and its cold `require` costs about a third less CPU (docs/OPERATIONS.md §10.1).
const LAMBDA_BUNDLING: javascript.BundlingOptions & Pick<javascript.AddBundleOptions, 'minify' | 'mainFields'> = {
  externals: [],
  sourcemap: false,
  minify: true,
  mainFields: ['module', 'main'],
};

const project = new awscdk.AwsCdkConstructLibrary({
  author: 'cdk-streaming-chatbot developers',
  authorAddress: 'dev@cdk-streaming-chatbot.invalid',
  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.0',
  name: 'cdk-streaming-chatbot',
  description:
    'A streaming, Korean-first chatbot on Amazon Bedrock in one CDK construct: API Gateway WebSocket + Lambda, DynamoDB history, Cognito, S3/CloudFront web client, and a local stack.',
  keywords: ['cdk', 'awscdk', 'bedrock', 'chatbot', 'websocket', 'streaming', 'korean', 'genai'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  repositoryUrl: 'https://github.com/cdk-streaming-chatbot/cdk-streaming-chatbot.git',
  license: 'Apache-2.0',
  minNodeVersion: '20.16.0',
  workflowNodeVersion: '22.x',

  publishToPypi: {
    distName: 'cdk-streaming-chatbot',
    module: 'cdk_streaming_chatbot',
  },

  // Handlers are discovered as src/**/*.lambda.ts and prebundled by esbuild into assets/ at
  // library build time, so no user ever needs esbuild or Docker at synth.
  lambdaAutoDiscover: true,
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_22_X,
    bundlingOptions: LAMBDA_BUNDLING,
    awsSdkConnectionReuse: false,
  },

  bundledDeps: [
    // The local stack's embedded DynamoDB keeps a native LevelDB binding (prebuilt binaries), which
    // esbuild cannot inline; it ships as a bundled dependency of the npm package.
    'dynalite@4.0.0',
  ],
  devDeps: [
    `@aws-sdk/client-dynamodb@${AWS_SDK}`,
    `@aws-sdk/lib-dynamodb@${AWS_SDK}`,
    `@aws-sdk/client-bedrock-runtime@${AWS_SDK}`,
    `@aws-sdk/client-apigatewaymanagementapi@${AWS_SDK}`,
    `@aws-sdk/client-lambda@${AWS_SDK}`,
    // Attachments (docs/PROTOCOL.md §6): the history function presigns the browser's upload and
    // thumbnail URLs and both functions read, check and delete the objects. Same SDK version,
    // bundled like the other clients.
    `@aws-sdk/client-s3@${AWS_SDK}`,
    `@aws-sdk/s3-request-presigner@${AWS_SDK}`,
    `@aws-lambda-powertools/logger@${POWERTOOLS}`,
    `@aws-lambda-powertools/metrics@${POWERTOOLS}`,
    '@smithy/eventstream-codec@4.5.2',
    '@smithy/util-utf8@4.5.2',
    // The local S3 emulator checks every request's SigV4 signature by recomputing it (src/local/s3-server.ts).
    '@smithy/signature-v4@5.7.5',
    'aws-jwt-verify@5.2.1',
    '@types/aws-lambda@8.10.164',
    'ws@8.23.0',
    '@types/ws@8.18.2',
    // 14.x is the newest line that still supports Node 20 (15 needs Node >= 22.12); it is bundled
    // into the CLI, which claims Node >= 20.
    'commander@14.0.3',
    'esbuild@0.28.2',
    'marked@18.2.1',
    'dompurify@3.4.18',
    'highlight.js@11.12.0',
    // Icons of the web client: a kept, tree-shaken SVG set (only the few used are bundled).
    'lucide@1.65.0',
    'oidc-client-ts@3.5.0',
    'playwright-core@1.65.1',
    'cdk-nag@3.0.2',
    // The local gateway renders the async sendMessage request template as API Gateway does
    // (Velocity), so the local stack runs the template AWS runs; pure JS, bundled into the CLI.
    'velocityjs@2.1.7',
    // The `cdk` command of `cd examples && npx cdk synth`: without it npx stops (non-interactive)
    // on a package that is not installed.
    'aws-cdk@2.1148.1',
  ],
  // projen's default (commit-and-tag-version 13) and its changelog libraries need Node 22: every
  // `npm ci` on Node 20 warned EBADENGINE for them. 12.x supports Node >= 18.
  bumpPackage: 'commit-and-tag-version@12.7.1',

  // ts-jest only transpiles; this type-checks src (client included), tests, build tools and examples.
  typecheckTests: true,
  jestOptions: {
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
      maxWorkers: 2,
      collectCoverage: false,
    },
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    compilerOptions: { lib: ['es2022', 'dom', 'dom.iterable'] },
    include: ['.projenrc.ts'],
    exclude: ['node_modules', 'assets', 'lib', 'dist', 'cdk.out', '**/cdk.out'],
  },
  // The web client is a browser program: it is bundled by build-tools/build-client.ts, never by jsii,
  // so the library's published types stay free of the DOM lib.
  excludeTypescript: ['src/client/**'],
  // One project for every linted file (src, tests, build tools, examples): the dev tsconfig.
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'build-tools', 'examples'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },
  gitignore: ['/assets/', '/.chatbot/', '/cdk.out/', '/examples/**/cdk.out/', '/test-output/', '/bench-output/'],
  npmignoreEnabled: true,
});

// Published tarball: the prebundled handlers, the prebuilt web client and the local-stack CLI.
project.addFields({ files: undefined });
project.npmignore?.include('/assets/');
project.npmignore?.exclude('/examples/', '/build-tools/', '/test-output/', '/bench-output/', '/.chatbot/', '/.ci/');

// The local stack's command-line entry, bundled like the handlers (all pure-JS deps inlined).
project.bundler.addBundle('./src/local/cli.ts', {
  platform: 'node',
  target: 'node20',
  externals: ['dynalite'],
  sourcemap: false,
  minify: true,
  banner: '#!/usr/bin/env node',
  executable: true,
});
project.addBins({ 'cdk-streaming-chatbot': 'assets/local/cli/index.js' });

// The static web client is built into assets/client by esbuild during the bundle step.
const clientTask = project.addTask('bundle:client', {
  description: 'Build the static web client into assets/client',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json build-tools/build-client.ts',
});
project.bundler.bundleTask.spawn(clientTask);

// `npm test` must pass on a fresh clone: build the assets and the jsii assembly first, then test,
// then prove the Python binding generates.
const pythonCheck = project.addTask('check:python:generate', {
  description: 'Generate the Python binding from the current .jsii (code only)',
  exec: 'jsii-pacmak --target python --code-only --outdir dist/python-check',
});
// Run alone it builds the .jsii it needs first (in `npm test` the compile has just run).
project.addTask('check:python', {
  description: 'Compile the jsii assembly, then generate the Python binding (code only; wheels are built by the release pipeline)',
  steps: [{ spawn: project.compileTask.name }, { spawn: pythonCheck.name }],
});
project.testTask.prependSpawn(project.compileTask);
project.testTask.prependSpawn(project.bundler.bundleTask);
project.testTask.spawn(pythonCheck);

project.addTask('start', {
  description: 'Run the chatbot locally (no AWS account needed)',
  // `npm start -- --port 0` passes its flags on to `dev` (receiveArgs belongs on the step).
  steps: [{ spawn: 'bundle' }, { exec: 'node assets/local/cli/index.js dev', receiveArgs: true }],
});
project.addTask('bench', {
  description: 'Measure streaming cost and latency against the seed protocol (prints BENCH json)',
  // The bundle step first: bundle size, cold init and client gzip are read from the built assets.
  steps: [{ spawn: 'bundle' }, { exec: 'ts-node --transpile-only --project tsconfig.dev.json test/bench/bench.ts' }],
});
project.addTask('test:load', {
  description: 'Load-and-fault suite on the local stack',
  exec: 'jest --testMatch "<rootDir>/test/load/**/*.load.ts" --runInBand',
});

// Runtime code (core, local stack, web client) imports libraries that are devDependencies on
// purpose: esbuild bundles them into assets/, so the published package never needs them installed.
project.eslint?.allowDevDeps('src/core/**');
project.eslint?.allowDevDeps('src/local/**');
project.eslint?.allowDevDeps('src/client/**');

// Strictness beyond projen's default eslint config is not needed; keep jest globals for tests.
project.tryFindObjectFile('.eslintrc.json')?.patch(JsonPatch.add('/ignorePatterns/-', 'assets/'));

project.synth();
