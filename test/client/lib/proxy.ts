/**
 * The page's WebSocket through Playwright's WebSocket routing: a transparent proxy to the real
 * gateway that a test can use to kill the connection or lose a frame (either way) at a chosen moment.
 */
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { openApp, signIn } from './browser';

/** Decides, per connection, what happens to each frame in each direction. */
export interface Proxy {
  /** page → server; return false to drop the frame (or to hold it: `forward` sends it later). */
  up?(frame: any, route: WebSocketRoute, connection: number, forward: () => void): boolean;
  /** server → page; return false to drop the frame. */
  down?(frame: any, route: WebSocketRoute, connection: number): boolean;
}

/** A page whose WebSocket runs through a {@link Proxy}, with every frame it sent, per connection. */
export interface ProxiedPage {
  page: Page;
  routes: WebSocketRoute[];
  upFrames: any[][];
}

/** Opens the app with its WebSocket routed through `proxy` and signs in; records every connection. */
export async function openProxied(
  browser: Browser, url: string, user: string, proxy: Proxy, storage: Record<string, string> = {},
): Promise<ProxiedPage> {
  const { page } = await openApp(browser, 'about:blank');
  const routes: WebSocketRoute[] = [];
  const upFrames: any[][] = [];
  if (Object.keys(storage).length > 0) {
    await page.addInitScript((items) => {
      for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v);
    }, storage);
  }
  await page.routeWebSocket(/\/ws/, (route) => {
    const connection = routes.length;
    routes.push(route);
    upFrames.push([]);
    const server = route.connectToServer();
    route.onMessage((m) => {
      const frame = JSON.parse(String(m));
      upFrames[connection].push(frame);
      if (proxy.up?.(frame, route, connection, () => server.send(m)) ?? true) server.send(m);
    });
    server.onMessage((m) => {
      if (proxy.down?.(JSON.parse(String(m)), route, connection) ?? true) route.send(m);
    });
    route.onClose(() => server.close());
    server.onClose(() => route.close());
  });
  await page.goto(url);
  await signIn(page, user);
  return { page, routes, upFrames };
}
