import { isIPv4, isIPv6 } from 'node:net';

function expandV6(address: string): number[] | undefined {
  const [head = '', tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

/**
 * The key failures are counted under. An IPv4 address is itself (also when
 * written IPv4-mapped, `::ffff:1.2.3.4`); an IPv6 address counts as its /64,
 * because one host usually holds a whole /64 and could otherwise rotate
 * through 2^64 addresses to dodge the limit. Anything else (no socket) is
 * taken as is.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(address)) return address;
  const bare = address.split('%')[0] ?? address; // drop a zone id (fe80::1%eth0)
  if (isIPv6(bare) && !bare.includes('.')) {
    const groups = expandV6(bare.toLowerCase());
    if (groups !== undefined)
      return `${groups
        .slice(0, 4)
        .map((g) => g.toString(16))
        .join(':')}::/64`;
  }
  return address.slice(0, 100);
}
