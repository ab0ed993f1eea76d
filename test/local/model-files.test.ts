import { MAX_IMAGE_BYTES } from '../../src/contract/attachments';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { createBedrockClient } from '../../src/core/aws';
import type { ModelRequest, TurnAttachment } from '../../src/core/ports/model';
import type { Brain } from '../../src/local/model/brain';
import { offlineBrain } from '../../src/local/model/offline';
import { ScriptedBrain } from '../../src/local/model/scripted';
import { startModelServer } from '../../src/local/model-server';
import { pdf, png, pngOfSize } from '../support/files';

// Images and documents through the real Bedrock Runtime client (ConverseStream, event-stream
// answer) to the local model server: the blocks arrive with their bytes, Bedrock's rules on them
// are enforced, and the offline model says what it got.

const request = (attachments: TurnAttachment[], text = '이 파일들을 봐 주세요'): ModelRequest => ({
  modelId: 'local', system: '', inferenceConfig: {}, turns: [{ role: 'user', text, attachments }],
});

async function withServer<T>(brain: Brain, run: (model: BedrockModel) => Promise<T>): Promise<T> {
  const server = await startModelServer(brain);
  const client = createBedrockClient({ region: 'us-east-1', bedrockEndpoint: server.endpoint, localCredentials: true });
  try {
    return await run(new BedrockModel(client));
  } finally {
    client.destroy();
    await server.close();
  }
}

async function collect(model: BedrockModel, req: ModelRequest): Promise<string> {
  let text = '';
  const it = model.stream(req, new AbortController().signal);
  for (let r = await it.next(); !r.done; r = await it.next()) text += r.value;
  return text;
}

test('one image and one document block reach the model with their bytes, before the text', async () => {
  const brain = new ScriptedBrain({ tokens: ['네'] });
  const image = png(40, 30);
  const doc = pdf(2);
  await withServer(brain, (m) => collect(m, request([
    { kind: 'image', format: 'png', bytes: image },
    { kind: 'document', format: 'pdf', name: 'report pdf', bytes: doc },
  ])));
  const [msg] = brain.requests[0].messages;
  expect(msg.files?.map((f) => [f.kind, f.format, f.name, Buffer.from(f.bytes).equals(f.kind === 'image' ? image : doc)])).toEqual([
    ['image', 'png', undefined, true],
    ['document', 'pdf', 'report pdf', true],
  ]);
  expect(msg.content).toEqual([{ text: '이 파일들을 봐 주세요' }]);
});

test('the offline model acknowledges each file: type, size, pixels or pages', async () => {
  const image = png(40, 30);
  const doc = pdf(2);
  const text = await withServer(offlineBrain({ cps: 1_000_000 }), (m) => collect(m, request([
    { kind: 'image', format: 'png', bytes: image },
    { kind: 'document', format: 'pdf', name: 'report pdf', bytes: doc },
  ])));
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^\[offline model\] context: 0 messages · /);
  expect(lines.slice(1, 3)).toEqual([
    `[offline model] image png, ${image.length} bytes, 40×30 px`,
    `[offline model] document pdf "report pdf", ${doc.length} bytes, 2 pages`,
  ]);
});

test('Bedrock\'s rules: image size at and over its limit, document names, counts', async () => {
  await withServer(new ScriptedBrain({ tokens: ['ok'] }), async (m) => {
    const atLimit = pngOfSize(MAX_IMAGE_BYTES);
    expect(await collect(m, request([{ kind: 'image', format: 'png', bytes: atLimit }]))).toBe('ok');
    const over = pngOfSize(MAX_IMAGE_BYTES + 1);
    await expect(collect(m, request([{ kind: 'image', format: 'png', bytes: over }]))).rejects.toMatchObject({ code: 'MODEL_ERROR', message: expect.stringContaining('image exceeds') });
    await expect(collect(m, request([{ kind: 'image', format: 'png', bytes: png(8001, 1) }]))).rejects.toMatchObject({ message: expect.stringContaining('8000 px') });
    const doc = (name: string): TurnAttachment => ({ kind: 'document', format: 'txt', name, bytes: Buffer.from('메모') });
    expect(await collect(m, request([doc('메모 (1) [a]-b')]))).toBe('ok');
    await expect(collect(m, request([doc('memo.txt')]))).rejects.toMatchObject({ message: expect.stringContaining('document.name') });
    await expect(collect(m, request([doc('a  b')]))).rejects.toMatchObject({ message: expect.stringContaining('document.name') });
    const five = Array.from({ length: 5 }, (_, i) => doc(`d${i}`));
    expect(await collect(m, request(five))).toBe('ok');
    await expect(collect(m, request([...five, doc('d5')]))).rejects.toMatchObject({ message: expect.stringContaining('at most 5 documents') });
    const twenty = Array.from({ length: 20 }, (): TurnAttachment => ({ kind: 'image', format: 'png', bytes: png(1, 1) }));
    expect(await collect(m, request(twenty))).toBe('ok');
    await expect(collect(m, request([...twenty, twenty[0]]))).rejects.toMatchObject({ message: expect.stringContaining('at most 20 images') });
  });
});
