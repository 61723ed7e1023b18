import { describe, expect, it } from 'vitest';
import { replayRecordId } from './replay.js';

describe('replayRecordId', () => {
  it('is a fixed-length base64url name however long or odd the jti', async () => {
    const short = await replayRecordId('client_assertion', 'app_sbx_1', 'a');
    const long = await replayRecordId('client_assertion', 'app_sbx_1', `x\r\n${'y'.repeat(5000)}`);
    expect(short).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(long).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps kinds, namespaces and jtis apart, with no way to shift text between them', async () => {
    const ids = await Promise.all([
      replayRecordId('client_assertion', 'app_sbx_1', 'j'),
      replayRecordId('dpop_proof', 'app_sbx_1', 'j'),
      replayRecordId('client_assertion', 'app_sbx_2', 'j'),
      replayRecordId('client_assertion', 'a|b', 'c'),
      replayRecordId('client_assertion', 'a', 'b|c'),
      replayRecordId('client_assertion', 'a","b', 'c'),
      replayRecordId('client_assertion', 'a', 'b","c'),
    ]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await replayRecordId('dpop_proof', 'sandbox', 'j')).toBe(await replayRecordId('dpop_proof', 'sandbox', 'j'));
  });
});
