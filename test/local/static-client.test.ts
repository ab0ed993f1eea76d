import { contentSecurityPolicy } from '../../src/infra/csp';
import { localContentSecurityPolicy } from '../../src/local/static-client';

describe('static client headers', () => {
  test('the local CSP is the deployed one, with the local socket and without the https upgrade', () => {
    const deployed = contentSecurityPolicy({ webSocketUrl: 'wss://x/prod', authDomainUrl: 'https://a', cognitoIdpUrl: 'https://c' }).split('; ');
    const local = localContentSecurityPolicy('ws://127.0.0.1:8787/ws').split('; ');
    const comparable = (d: string[]) => d.filter((x) => !x.startsWith('connect-src') && x !== 'upgrade-insecure-requests');
    expect(comparable(local)).toEqual(comparable(deployed));
    expect(local).toContain("connect-src 'self' ws://127.0.0.1:8787/ws");
    expect(local).not.toContain('upgrade-insecure-requests');
  });
});
