// The SSRF guard of every outbound call the console makes for a user's configuration (webhooks, the
// designer's HTTP step): only http(s), no credentials in the URL, and no host that resolves to a
// private, loopback, link-local, CGNAT, multicast, reserved or unspecified address (IPv4 and IPv6,
// IPv4-mapped and NAT64 forms included) unless an admin allowed that host (by name or address).
// The name is resolved once, every address it has is judged, and the connection is made to the
// address judged (a `lookup` pinned to it), so a second, different DNS answer (rebinding) is never used.
import dns from 'node:dns/promises';
import net from 'node:net';

export type SsrfCode = 'bad_url' | 'bad_scheme' | 'credentials_in_url' | 'unresolvable' | 'private_address';

/** A URL the guard refuses; `code` says why (the forms translate `webhooks.errors.<code>`). */
export class SsrfRefused extends Error {
  readonly code: SsrfCode;
  constructor(code: SsrfCode, message: string) {
    super(message);
    this.name = 'SsrfRefused';
    this.code = code;
  }
}

const V4_BLOCKED: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const V6_BLOCKED: readonly [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new net.BlockList();
for (const [a, n] of V4_BLOCKED) blocked.addSubnet(a, n, 'ipv4');
for (const [a, n] of V6_BLOCKED) blocked.addSubnet(a, n, 'ipv6');

/** The 16 bytes of an IPv6 address (net.isIPv6 already true). */
function v6Bytes(address: string): number[] {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 one carries (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d), else null. */
function embeddedV4(address: string): string | null {
  const b = v6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12);
  return mapped || nat64 ? b.slice(12).join('.') : null;
}

/** Why an address may not be called (private, loopback, …), or null when it is a public one. */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(bare);
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (family === 6) {
    const v4 = embeddedV4(bare);
    if (v4) return blocked.check(v4, 'ipv4');
    return blocked.check(bare, 'ipv6');
  }
  return true; // not an address at all: refuse
}

/** How a host is written in the allow-list: lower case, IPv6 without brackets. */
export const normalHost = (host: string): string =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');

/** A URL the guard accepted: the address to connect to, judged once. */
export interface Target {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** Checks a URL's form only (no DNS): http(s), a host, no credentials. */
export function parseOutboundUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SsrfRefused('bad_url', 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SsrfRefused('bad_scheme', `scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) throw new SsrfRefused('credentials_in_url', 'credentials in the URL are not allowed');
  if (!url.hostname) throw new SsrfRefused('bad_url', 'no host');
  return url;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;
const systemResolver: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true });

/**
 * Judges a URL: its form, then every address its host resolves to (an allow-listed host, or an
 * allow-listed address, passes). Returns the address to connect to; refuses with SsrfRefused.
 */
export async function resolveTarget(text: string, allowed: ReadonlySet<string>, resolve: Resolver = systemResolver): Promise<Target> {
  const url = parseOutboundUrl(text);
  const host = normalHost(url.hostname);
  const literal = net.isIP(host);
  let addresses: { address: string; family: number }[];
  if (literal) addresses = [{ address: host, family: literal }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new SsrfRefused('unresolvable', `${host} does not resolve`);
    }
    if (!addresses.length) throw new SsrfRefused('unresolvable', `${host} does not resolve`);
  }
  const hostAllowed = allowed.has(host);
  for (const a of addresses)
    if (!hostAllowed && !allowed.has(normalHost(a.address)) && isBlockedAddress(a.address))
      throw new SsrfRefused('private_address', `${host} resolves to a private address (${a.address})`);
  const first = addresses[0];
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** A `lookup` for http.request that answers the judged address whatever the name (no second DNS query). */
export function pinnedLookup(target: Target): net.LookupFunction {
  return ((_host: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (options?.all) cb(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  }) as unknown as net.LookupFunction;
}
