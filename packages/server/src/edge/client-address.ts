import { BlockList, isIP } from 'node:net';

/** Where the peer address of a request comes from (the socket, when there is one). */
export type ClientAddressOf = (env: unknown) => string;

/**
 * Reads the remote address from @hono/node-server's bindings
 * (`env.incoming.socket`); the RPC listener hands the same shape, so
 * throttling and audit key callers alike over every protocol.
 */
export const socketClientAddress: ClientAddressOf = (env) => {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
};

/** A parsed `--trusted-proxies` list. */
export interface TrustedProxies {
  /** Whether `address` (a socket peer or an X-Forwarded-For hop) is one of the listed proxies. */
  has(address: string): boolean;
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as the IPv4 address it is. */
function plain(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/**
 * Parses `CIDR[,CIDR…]` (a bare address is its own /32 or /128); throws a
 * `RangeError` naming the first bad entry.
 */
export function parseTrustedProxies(text: string): TrustedProxies {
  const list = new BlockList();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address = '', prefixText, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(String(prefix)) || prefix > max) {
      throw new RangeError(`not an address or CIDR: "${entry.slice(0, 60)}"`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    has(address) {
      const a = plain(address.trim());
      const family = isIP(a);
      return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The client address of a request given the socket peer and the
 * X-Forwarded-For header (docs/contract.md#server): the peer itself unless it is a trusted
 * proxy; then the right-most hop of X-Forwarded-For that is not a trusted
 * proxy (hops to its left were written by the client and prove nothing). A
 * hop that is not an IP address ends the walk at the proxy that passed it on.
 */
export function clientAddressBehind(
  trusted: TrustedProxies,
  peer: string,
  forwardedFor: string | undefined,
): string {
  if (forwardedFor === undefined || !trusted.has(peer)) return peer;
  let nearest = peer;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plain((hops[i] ?? '').trim());
    if (isIP(hop) === 0) return nearest;
    if (!trusted.has(hop)) return hop;
    nearest = hop;
  }
  return nearest;
}

interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string }; headers?: Record<string, string | string[] | undefined> };
}

/**
 * A {@link ClientAddressOf} for Node requests (REST's `env` and the RPC
 * listener's `{incoming}` alike) that honours X-Forwarded-For from
 * `trusted` proxies only.
 */
export function proxyAwareClientAddress(trusted: TrustedProxies): ClientAddressOf {
  return (env) => {
    const incoming = (env as NodeBindings | undefined)?.incoming;
    const peer = incoming?.socket?.remoteAddress ?? 'unknown';
    const header = incoming?.headers?.['x-forwarded-for'];
    const forwarded = Array.isArray(header) ? header.join(',') : header;
    return clientAddressBehind(trusted, peer, forwarded);
  };
}
