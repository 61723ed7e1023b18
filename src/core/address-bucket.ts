// The address a per-IP failure counter is kept under: an IPv4 address as it is, an IPv6 one by its /64 network.

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const MAPPED_PREFIX = '::ffff:';

/** The four bytes of a dotted IPv4 address; undefined when `text` is not one (or a part is over 255). */
function ipv4Bytes(text: string): number[] | undefined {
  if (!IPV4.test(text)) return undefined;
  const bytes = text.split('.').map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included); undefined when `text` is not one. */
function ipv6Groups(text: string): number[] | undefined {
  let address = text.toLowerCase();
  const tail = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (tail) {
    const bytes = ipv4Bytes(tail[1]!);
    if (!bytes) return undefined;
    address = `${address.slice(0, tail.index + 1)}${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (groups.some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

/**
 * One IPv6 host usually holds a whole /64 (SLAAC, privacy addresses, a VPS's block), so counting failures per
 * IPv6 address would give it 2^64 budgets: an IPv6 address is counted by its /64, written `2001:db8:0:1::/64`
 * whatever its spelling. An IPv4-mapped address (`::ffff:192.0.2.1`, how a dual-stack socket shows an IPv4
 * client) is counted as that IPv4 address. Anything else (a zone id is dropped first) is kept as it is.
 */
export function addressBucket(ip: string): string {
  const address = ip.includes('%') ? ip.replace(/%.*$/, '') : ip;
  if (IPV4.test(address)) return address;
  // How a dual-stack socket shows every IPv4 client: answered without taking the address apart.
  if (address.startsWith(MAPPED_PREFIX)) {
    const mapped = address.slice(MAPPED_PREFIX.length);
    if (ipv4Bytes(mapped)) return mapped;
  }
  const groups = ipv6Groups(address);
  if (!groups) return ip;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}
