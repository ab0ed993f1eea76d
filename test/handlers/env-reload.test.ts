import { handler as chat } from '../../src/handlers/chat.lambda';
import { handler as history } from '../../src/handlers/history.lambda';
import { id, startEmulators, wsEvent } from '../support/harness';

describe('handlers and their environment', () => {
  test('after the emulators restart on new ports (new env), the same handler modules use the new endpoints', async () => {
    for (const round of [1, 2]) {
      const em = await startEmulators();
      try {
        em.brain.script = { tokens: [`라운드 ${round}`] };
        const conn = id('conn');
        await chat(wsEvent('sendMessage', 'env', conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '안녕' })));
        expect(em.sink.frames(conn).find((f) => f.type === 'done')).toBeDefined();
        const list = await history({ rawPath: '/api/conversations', requestContext: { http: { method: 'GET' }, authorizer: { jwt: { claims: { sub: 'env' } } } } } as any);
        // Each round has a fresh (in-memory) table: exactly the one conversation just made.
        expect(JSON.parse(list.body!).items).toHaveLength(1);
      } finally {
        await em.close();
      }
    }
  });
});
