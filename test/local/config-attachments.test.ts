import { clientAttachmentsConfig } from '../../src/contract/attachments';
import { LocalStack, startLocalStack } from '../../src/local/stack';

// The local stack's /config.json offers attachments exactly when it serves them, and the page's
// Content-Security-Policy lets it upload to and show thumbnails from its S3 endpoint, and only then.

let on: LocalStack;
let off: LocalStack;
beforeAll(async () => {
  [on, off] = await Promise.all([
    startLocalStack({ port: 0, inMemory: true, model: 'offline', log: () => undefined }),
    startLocalStack({ port: 0, inMemory: true, model: 'offline', log: () => undefined, attachments: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([on?.close(), off?.close()]);
});

const directive = (csp: string, name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `))!.split(' ').slice(1);

test('attachments on (the default): config.json carries the limits, the CSP names the S3 endpoint for img-src and connect-src', async () => {
  const config = await (await fetch(`${on.url}/config.json`)).json();
  expect(config.attachments).toEqual(clientAttachmentsConfig());
  expect(config.attachments.imageTypes).toEqual(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
  const csp = (await fetch(`${on.url}/`)).headers.get('content-security-policy')!;
  const s3 = new URL(on.environment.history.attachments!.s3Endpoint!).origin;
  expect(s3).not.toBe(new URL(on.url).origin);
  expect(directive(csp, 'img-src')).toEqual(["'self'", 'data:', s3]);
  expect(directive(csp, 'connect-src')).toContain(s3);
});

test('attachments off: no attachments in config.json, no S3 origin in the CSP', async () => {
  const config = await (await fetch(`${off.url}/config.json`)).json();
  expect(config).not.toHaveProperty('attachments');
  expect(config.limits).toBeDefined();
  const csp = (await fetch(`${off.url}/`)).headers.get('content-security-policy')!;
  expect(directive(csp, 'img-src')).toEqual(["'self'", 'data:']);
  expect(off.environment.history.attachments).toBeUndefined();
});
