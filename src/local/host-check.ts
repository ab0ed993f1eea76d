/**
 * DNS-rebinding defence of the local stack. A page on any site can point its own name at
 * 127.0.0.1 and then call the stack as same-origin; what gives it away is the `Host` header (the
 * attacker's name) and, for WebSockets and cross-site requests, the `Origin` header. So every
 * request must name the stack by a loopback name (or one the developer allowed with
 * `--allow-host`) and, when it carries an Origin, come from a page of one of those names.
 */
import type { IncomingMessage } from 'http';

/** Names the stack always answers to (with its own port). */
export const LOOPBACK_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/** Options of {@link HostPolicy}. */
export interface HostPolicyOptions {
  /** The port the stack listens on. */
  readonly port: number;
  /** The address the stack listens on (`--host`): a specific address is allowed as a name too. */
  readonly listenHost?: string;
  /**
   * More names (`--allow-host`): `name` (with the stack's port) or `name:port` (e.g. behind a
   * proxy on another port). IPv6 addresses with or without brackets.
   */
  readonly allowHosts?: readonly string[];
}

/** A header value quoted in a refusal, cut to a readable length. */
function clip(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

/** `::1` → `[::1]`; names lower-cased. */
function bracket(name: string): string {
  const n = name.trim().toLowerCase();
  return n.includes(':') && !n.startsWith('[') ? `[${n}]` : n;
}

/** A `--allow-host` value is a host name or an IP address, optionally with `:port`. */
export function validAllowHost(value: string): boolean {
  return /^(\[[0-9a-f:.]+\]|[0-9a-f]*:[0-9a-f:.]+|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:\d{1,5})?$/i.test(value.trim())
    && !/^\d+$/.test(value.trim());
}

/** Which `Host` and `Origin` values the stack accepts. */
export class HostPolicy {
  private readonly hosts = new Set<string>();
  private readonly port: number;

  constructor(options: HostPolicyOptions) {
    this.port = options.port;
    const withPort = (name: string) => `${bracket(name)}:${options.port}`;
    for (const name of LOOPBACK_NAMES) this.hosts.add(withPort(name));
    const listen = options.listenHost?.trim();
    if (listen && listen !== '0.0.0.0' && listen !== '::') this.hosts.add(withPort(listen));
    for (const raw of options.allowHosts ?? []) {
      const value = raw.trim().toLowerCase();
      // `name:port`, `[v6]:port` carry their own port; a bare v6 address is all colons and hex.
      const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
      this.hosts.add(m ? `${bracket(m[1])}:${m[2]}` : withPort(value));
    }
  }

  /** The accepted `host:port` values, for messages and docs. */
  get allowed(): string[] {
    return [...this.hosts];
  }

  /** True when `host` (a `Host` header) names this stack. */
  allowsHost(host: string | undefined): boolean {
    return host !== undefined && this.hosts.has(host.trim().toLowerCase());
  }

  /** True when `origin` (an `Origin` header) is a page of one of the accepted hosts. */
  allowsOrigin(origin: string): boolean {
    const m = /^(https?):\/\/([^/]+)$/i.exec(origin.trim());
    if (!m) return false;
    const scheme = m[1].toLowerCase();
    const authority = m[2].toLowerCase();
    // A default port is left out of an Origin: compare with it put back.
    return this.hosts.has(/:\d+$/.test(authority) ? authority : `${authority}:${scheme === 'https' ? 443 : 80}`);
  }

  /** Why `req` is refused (one line, for the 403 body), or undefined when it is accepted. */
  refusal(req: IncomingMessage): string | undefined {
    const host = req.headers.host;
    if (!this.allowsHost(host)) {
      return `Forbidden: Host "${clip(host ?? '')}" is not a name of this stack. Open it as http://127.0.0.1:${this.port} `
        + `or http://localhost:${this.port}, or start it with --allow-host <name> to use another name.`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowsOrigin(origin)) {
      return `Forbidden: Origin "${clip(origin)}" is not a page of this stack (cross-site requests are refused).`;
    }
    return undefined;
  }
}
