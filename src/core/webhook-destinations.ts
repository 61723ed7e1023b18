// Where a webhook may be delivered: http(s) URLs without credentials, to public addresses only unless the operator
// allows private ones (KEYMINT_WEBHOOKS_ALLOW_PRIVATE). Checked when a webhook is created, and on every address a
// delivery connects to (the sender calls `isAddressAllowed` after its own DNS look-up: DNS rebinding gains nothing).
import { fail, ok, type Result } from '../shared/result.js';
import { unsafeNameCharacter } from './names.js';

/** Why an address is not public; `public` is the only class a webhook goes to by default. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared (CGNAT)'
  | 'multicast'
  | 'IPv4-mapped'
  | 'reserved';

export type WebhookUrlFailure = 'invalid_url' | 'address_not_allowed';

export const WEBHOOK_URL_MAX_LENGTH = 2048;

type Parsed = { version: 4 | 6; bytes: number[] };

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((part) => (/^(0|[1-9]\d{0,2})$/.test(part) ? Number(part) : NaN));
  return bytes.every((byte) => byte >= 0 && byte <= 255) ? bytes : null;
}

function parseIpv6(input: string): number[] | null {
  // A zone (`fe80::1%eth0`) says which interface, not which address.
  let text = input.replace(/%[^%]*$/, '');
  // A dotted IPv4 tail (`::ffff:127.0.0.1`) is the last two groups written another way.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last);
    if (!v4) return null;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const words = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((group) => parseInt(group, 16));
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

/** An IPv4 or IPv6 address as text (`[…]` and a zone such as `%eth0` allowed), or null when the text is not one. */
export function parseIpAddress(text: string): Parsed | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(bare);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = bare.includes(':') ? parseIpv6(bare) : null;
  return v6 ? { version: 6, bytes: v6 } : null;
}

function matches(bytes: number[], prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> bit % 8;
    if (((bytes[bit >> 3]! ^ (prefix[bit >> 3] ?? 0)) & mask) !== 0) return false;
  }
  return true;
}

function classifyIpv4(b: number[]): AddressClass {
  if (matches(b, [0], 8)) return 'unspecified';
  if (matches(b, [127], 8)) return 'loopback';
  if (matches(b, [10], 8) || matches(b, [172, 16], 12) || matches(b, [192, 168], 16)) return 'private';
  if (matches(b, [169, 254], 16)) return 'link-local';
  if (matches(b, [100, 64], 10)) return 'shared (CGNAT)';
  if (matches(b, [224], 4)) return 'multicast';
  // IETF assignments, documentation, the 6to4 relay, benchmarking, and 240/4 with the broadcast address.
  const reserved: Array<[number[], number]> = [
    [[192, 0, 0], 24],
    [[192, 0, 2], 24],
    [[192, 88, 99], 24],
    [[198, 18], 15],
    [[198, 51, 100], 24],
    [[203, 0, 113], 24],
    [[240], 4],
  ];
  return reserved.some(([prefix, bits]) => matches(b, prefix, bits)) ? 'reserved' : 'public';
}

function classifyIpv6(b: number[]): AddressClass {
  const zeroUpTo = (n: number) => b.slice(0, n).every((byte) => byte === 0);
  if (zeroUpTo(16)) return 'unspecified';
  if (zeroUpTo(15) && b[15] === 1) return 'loopback';
  if (zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff) return 'IPv4-mapped';
  // ::a.b.c.d (IPv4-compatible, deprecated) and ::ffff:0:a.b.c.d (SIIT) reach IPv4 hosts too.
  if (zeroUpTo(12) || (zeroUpTo(8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0)) return 'IPv4-mapped';
  // NAT64's well-known prefix reaches the IPv4 address in its last 32 bits: judged as that address.
  if (matches(b, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return classifyIpv4(b.slice(12));
  // 6to4 (2002::/16) carries an IPv4 address in bits 16–47: judged as that address.
  if (matches(b, [0x20, 0x02], 16)) return classifyIpv4(b.slice(2, 6));
  if (matches(b, [0xff], 8)) return 'multicast';
  if (matches(b, [0xfe, 0x80], 10) || matches(b, [0xfe, 0xc0], 10)) return 'link-local';
  if (matches(b, [0xfc], 7)) return 'private';
  // Only global unicast (2000::/3) is public; within it Teredo (2001::/32, an IPv4 tunnel), documentation
  // (2001:db8::/32) and the ORCHID and benchmarking blocks (2001:10::/28, 2001:20::/28, 2001:2::/48) are not.
  if (!matches(b, [0x20], 3)) return 'reserved';
  const notGlobal: Array<[number[], number]> = [
    [[0x20, 0x01, 0x00, 0x00], 32],
    [[0x20, 0x01, 0x0d, 0xb8], 32],
    [[0x20, 0x01, 0x00, 0x10], 28],
    [[0x20, 0x01, 0x00, 0x20], 28],
    [[0x20, 0x01, 0x00, 0x02, 0x00, 0x00], 48],
  ];
  return notGlobal.some(([prefix, bits]) => matches(b, prefix, bits)) ? 'reserved' : 'public';
}

/** What kind of address `text` is; null when it is not an IP address at all. */
export function classifyAddress(text: string): AddressClass | null {
  const parsed = parseIpAddress(text);
  if (!parsed) return null;
  return parsed.version === 4 ? classifyIpv4(parsed.bytes) : classifyIpv6(parsed.bytes);
}

/**
 * Whether a delivery may connect to `address` (an IP address as a resolver or a socket reports it). Anything that
 * is not a public address — or not an address — is refused unless private addresses are allowed.
 */
export function isAddressAllowed(address: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  return classifyAddress(address) === 'public';
}

/** Why an address is refused, for the caller's error and the delivery log. */
export function describeRefusedAddress(address: string): string {
  const found = classifyAddress(address);
  const what = found === null ? 'not an IP address' : found === 'public' ? 'a public address' : `a ${found} address`;
  return `${address} is ${what}; webhooks go to public addresses only unless KEYMINT_WEBHOOKS_ALLOW_PRIVATE=true`;
}

/** Host names that name this machine whatever DNS says (RFC 6761 §6.3), with or without the root's trailing dot. */
function isLocalhostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * A webhook URL as written by its owner: an absolute http(s) URL, without user name or password (they would be
 * sent to whoever answers) or fragment, at most 2048 characters. An IP-address host (in any spelling URL parsing
 * normalises, such as `0x7f.1` or `[::ffff:7f00:1]`) must be allowed; a name is resolved and checked by the caller.
 * Returns the URL and, for a name, the host to resolve.
 */
export function checkWebhookUrl(
  text: string,
  allowPrivate: boolean,
): Result<{ url: URL; hostToResolve: string | null }, WebhookUrlFailure> {
  if (text.length > WEBHOOK_URL_MAX_LENGTH) return fail('invalid_url', `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`);
  // URL parsing silently drops tabs and line breaks (and trims controls): the URL kept would not be the one written;
  // bidirectional controls would show it in another order than it is.
  const unsafe = unsafeNameCharacter(text);
  if (unsafe !== undefined) return fail('invalid_url', `must not hold control or bidirectional formatting characters (${unsafe})`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('invalid_url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail('invalid_url', 'must be an http(s) URL');
  if (url.username !== '' || url.password !== '') return fail('invalid_url', 'must not hold a user name or password');
  if (url.hash !== '' || text.includes('#')) return fail('invalid_url', 'must not hold a fragment (#…)');
  const host = url.hostname;
  if (host === '') return fail('invalid_url', 'must name a host');
  if (parseIpAddress(host)) {
    return isAddressAllowed(host, allowPrivate) ? ok({ url, hostToResolve: null }) : fail('address_not_allowed', describeRefusedAddress(host));
  }
  if (!allowPrivate && isLocalhostName(host.toLowerCase())) {
    return fail('address_not_allowed', `${host} names this machine; webhooks go to public addresses only unless KEYMINT_WEBHOOKS_ALLOW_PRIVATE=true`);
  }
  return ok({ url, hostToResolve: host });
}
