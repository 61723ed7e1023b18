import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { utf8 } from '../shared/encoding.js';

describe('crc32', () => {
  it('matches the CRC-32/ISO-HDLC check value', () => {
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes and differs for a one-byte change', () => {
    expect(crc32(new Uint8Array())).toBe(0);
    expect(crc32(utf8('123456780'))).not.toBe(crc32(utf8('123456789')));
  });
});
