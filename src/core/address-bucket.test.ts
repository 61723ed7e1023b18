import { describe, expect, it } from 'vitest';
import { addressBucket } from './address-bucket.js';

describe('addressBucket', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:127.0.0.1%lo', '127.0.0.1'],
    ['::ffff:0:192.0.2.1', '0:0:0:0::/64'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8::192.0.2.1', '2001:db8:0:0::/64'],
  ])('counts %s as %s', (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });

  it.each(['not-an-address', '1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', '::ffff:300.0.0.1', '::ffff:1.2.3', 'unknown'])('keeps %s as it is', (text) => {
    expect(addressBucket(text)).toBe(text);
  });
});
