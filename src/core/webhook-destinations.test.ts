import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, classifyAddress, isAddressAllowed, parseIpAddress } from './webhook-destinations.js';

describe('classifyAddress', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.254', 'shared (CGNAT)'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['0:0:0:0:0:ffff:10.0.0.1', 'IPv4-mapped'],
    ['::127.0.0.1', 'IPv4-mapped'],
    ['::ffff:0:7f00:1', 'IPv4-mapped'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b:1::1', 'reserved'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
    expect(isAddressAllowed(address, false)).toBe(false);
    expect(isAddressAllowed(address, true)).toBe(true);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e', '64:ff9b::808:808', '2002:808:808::1'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBe('public');
      expect(isAddressAllowed(address, false)).toBe(true);
    },
  );

  it('is null, and refused, for what is not an address', () => {
    for (const text of ['example.com', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', '']) {
      expect(parseIpAddress(text), text).toBeNull();
      expect(isAddressAllowed(text, false)).toBe(false);
    }
  });
});

describe('checkWebhookUrl', () => {
  it('accepts public http(s) URLs, and names the host to resolve', () => {
    expect(checkWebhookUrl('https://hooks.example.com/keymint?x=1', false)).toMatchObject({
      ok: true,
      value: { hostToResolve: 'hooks.example.com' },
    });
    expect(checkWebhookUrl('http://93.184.216.34:8080/hook', false)).toMatchObject({ ok: true, value: { hostToResolve: null } });
    expect(checkWebhookUrl('https://[2606:4700:4700::1111]/hook', false)).toMatchObject({ ok: true });
  });

  it.each([
    ['http://127.0.0.1/hook'],
    ['http://127.1/'],
    ['http://0x7f.0.0.1/'],
    ['http://2130706433/'],
    ['http://017700000001/'],
    ['http://0/'],
    ['http://[::1]/'],
    ['http://[::ffff:127.0.0.1]/'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/'],
    ['http://169.254.169.254/latest/meta-data/'],
    ['http://100.64.0.1/'],
    ['http://10.0.0.5/'],
    ['http://[fd00::1]/'],
    ['http://[fe80::1]/'],
    ['http://224.0.0.1/'],
    ['http://[64:ff9b::a00:1]/'],
    ['http://localhost:8080/'],
    ['http://LOCALHOST./'],
    ['http://api.localhost/'],
    // The root's trailing dot names the same host; where names are not resolved first (a Worker) it was let through.
    ['http://api.localhost./'],
    ['http://a.b.LOCALHOST.:9/'],
  ])('refuses %s unless private addresses are allowed', (url) => {
    expect(checkWebhookUrl(url, false)).toMatchObject({ ok: false, reason: 'address_not_allowed', detail: expect.stringMatching(/KEYMINT_WEBHOOKS_ALLOW_PRIVATE=true/) });
    expect(checkWebhookUrl(url, true)).toMatchObject({ ok: true });
  });

  it.each([
    ['ftp://example.com/', 'http(s)'],
    ['javascript:alert(1)', 'http(s)'],
    ['file:///etc/passwd', 'http(s)'],
    ['/relative/hook', 'absolute'],
    ['example.com/hook', 'absolute'],
    ['https://user:pw@example.com/', 'user name or password'],
    ['https://:pw@example.com/', 'user name or password'],
    ['https://user@example.com/', 'user name or password'],
    ['https://example.com/#frag', 'fragment'],
    ['https://example.com/#', 'fragment'],
    [`https://example.com/${'a'.repeat(2048)}`, '2048'],
    // URL parsing would drop these silently and keep another URL than the one written.
    ['https://example.com/ho\nok', 'U+000A'],
    ['https://exam\tple.com/', 'U+0009'],
    ['https://example.com/\u202Ekoob', 'U+202E'],
  ])('refuses %s as invalid', (url, words) => {
    const checked = checkWebhookUrl(url, true);
    expect(checked).toMatchObject({ ok: false, reason: 'invalid_url' });
    expect(checked.ok || checked.detail).toContain(words);
  });
});
