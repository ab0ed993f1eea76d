/**
 * The Cognito sign-in path in real Chromium with the real oidc-client-ts code: managed login
 * through the OAuth2 code flow with PKCE (S256), the ID token presented to the WebSocket and the
 * HTTP API, refresh by refresh token before the token runs out, a reload that stays signed in,
 * and sign-out through Cognito's /logout. Cognito's endpoints are played by a loopback site
 * (lib/cognito-endpoints.ts) because tests cannot reach AWS.
 */
import type { Browser } from 'playwright-core';
import { launch, openApp } from './lib/browser';
import { startCognitoSite, type CognitoSite } from './lib/cognito-endpoints';

let site: CognitoSite;
let browser: Browser;

beforeAll(async () => {
  [site, browser] = await Promise.all([startCognitoSite(), launch()]);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('managed login with code + PKCE, token refresh, reload, and sign-out through Cognito', async () => {
  // Token answers say the tokens expire within the refresh margin, so the first use refreshes.
  site.expiresIn = 30;
  const { context, page, errors } = await openApp(browser, site.url);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('textbox', { name: /message/i }).waitFor();

  // The authorize request used PKCE S256 and came back to the site's root.
  expect(site.authorizeRequests).toHaveLength(1);
  const authorize = site.authorizeRequests[0];
  expect(authorize.get('code_challenge_method')).toBe('S256');
  expect(authorize.get('redirect_uri')).toBe(`${site.url}/`);
  expect(authorize.get('scope')?.split(' ')).toContain('openid');
  expect(site.tokenRequests[0].get('grant_type')).toBe('authorization_code');
  expect(site.tokenRequests[0].get('code_verifier')?.length).toBeGreaterThanOrEqual(43);
  // The code is not left in the address bar.
  expect(new URL(page.url()).search).toBe('');
  expect(await page.locator('#user-name').innerText()).toBe('jisoo@example.com');
  // config.json without `models`: the one model, named by its id.
  expect(await page.locator('#model-name').innerText()).toContain('claude-sonnet-4-5');

  // The short-lived token was refreshed with the refresh token before it was presented.
  await page.locator('#connection[data-state="online"]').waitFor();
  const refresh = site.tokenRequests.find((f) => f.get('grant_type') === 'refresh_token');
  expect(refresh?.get('refresh_token')).toBeTruthy();
  const refreshed = site.idTokens.slice(1);
  expect(refreshed.length).toBeGreaterThanOrEqual(1);
  expect(refreshed).toContain(site.socketTokens[site.socketTokens.length - 1]);
  expect(site.idTokens).toContain(site.apiTokens[site.apiTokens.length - 1]);

  // A reload stays signed in without another trip to managed login.
  site.expiresIn = 3600;
  await page.reload();
  await page.getByRole('textbox', { name: /message/i }).waitFor();
  expect(site.authorizeRequests).toHaveLength(1);

  // Sign-out revokes the refresh token and ends the managed-login session.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  expect(site.logoutRequests).toHaveLength(1);
  expect(site.logoutRequests[0].get('client_id')).toBe(site.clientId);
  expect(site.logoutRequests[0].get('logout_uri')).toBe(`${site.url}/`);
  expect(site.revokeRequests.map((f) => f.get('token'))).toContain(refresh?.get('refresh_token'));
  expect(errors).toEqual([]);
  await context.close();
});
